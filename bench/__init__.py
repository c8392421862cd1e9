"""Benchmarks of the NLU pipeline (public datasets) and the evaluation of the running bot."""
