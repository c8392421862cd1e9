// Worker web chat: sends each message to /api/chat and shows the bot's replies and buttons.
(function () {
  "use strict";
  var cfg = window.HANHTRANG;
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");

  function senderId() {
    var key = "hanhtrang.sender";
    var id = null;
    try { id = window.localStorage.getItem(key); } catch (e) { /* private mode */ }
    if (!id) {
      id = (window.crypto && crypto.randomUUID) ? crypto.randomUUID().replace(/-/g, "")
        : String(Date.now()) + Math.random().toString(16).slice(2);
      try { window.localStorage.setItem(key, id); } catch (e) { /* ignore */ }
    }
    return id;
  }
  var sender = senderId();

  function bubble(text, cls) {
    var div = document.createElement("div");
    div.className = "msg " + cls;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function buttons(list) {
    var box = document.createElement("div");
    box.className = "buttons";
    list.forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.addEventListener("click", function () { send(b.payload, b.title); });
      box.appendChild(btn);
    });
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  function newId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now());
  }

  function send(message, shown) {
    if (shown !== null) { bubble(shown || message, "user"); }
    var wait = bubble(cfg.thinking, "bot thinking");
    fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, message: message, message_id: newId(), language: cfg.language })
    }).then(function (resp) {
      return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
    }).then(function (res) {
      wait.remove();
      (res.data.messages || []).forEach(function (m) {
        if (m.text) { bubble(m.text, res.ok ? "bot" : "bot error"); }
        if (m.buttons && m.buttons.length) { buttons(m.buttons); }
      });
    }).catch(function () {
      wait.remove();
      bubble("⚠️ +84 981 84 84 84", "bot error");
    });
  }

  // Answers to messages held while the service was down arrive later: ask for them now and then.
  function pollReplies() {
    fetch("/api/chat/replies?sender=" + encodeURIComponent(sender))
      .then(function (resp) { return resp.ok ? resp.json() : { messages: [] }; })
      .then(function (data) {
        (data.messages || []).forEach(function (m) {
          if (m.text) { bubble(m.text, "bot"); }
          if (m.buttons && m.buttons.length) { buttons(m.buttons); }
        });
      })
      .catch(function () { /* offline: try again next time */ });
  }
  window.setInterval(pollReplies, 15000);

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });
  send(cfg.language === "en" ? "/greet" + '{"language":"en"}' : cfg.greeting, null);
})();
