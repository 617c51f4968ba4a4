/* Kindred live chat: progressive enhancement over the server-rendered pages.
 *
 * On every page of a signed-in member it keeps the "Chats" unread badge live.
 * On a conversation page (#chat) it sends over Socket.IO instead of the form,
 * shows "sending" / "sent" / "seen", keeps a failed message's text with a
 * retry, shows typing and presence, loads older messages on scroll, and on
 * every (re)connect asks for everything after the last message it holds.
 *
 * Messages are numbered 1, 2, 3... in their conversation (seq): the page
 * holds every message up to lastSeq; anything further ahead waits in
 * `ahead` until the gap is filled, and duplicates are dropped by id.
 */
(function () {
  "use strict";

  var userId = Number(document.body.dataset.userId || 0);
  if (!userId || typeof io !== "function") return;

  var socket = io({
    // Websocket first: several web processes then need no sticky sessions.
    transports: ["websocket", "polling"],
    tryAllTransports: true,
  });
  var chat = document.getElementById("chat");
  var navBadge = document.querySelector("#nav-chats [data-role=chat-unread]");

  function setBadge(badge, count) {
    if (!badge) return;
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = " unread";
    badge.replaceChildren(String(count), label);
    badge.hidden = count <= 0;
  }

  function badgeCount(badge) {
    return badge ? parseInt(badge.textContent, 10) || 0 : 0;
  }

  function bumpNav(delta) {
    if (!navBadge) return;
    setBadge(navBadge, Math.max(0, badgeCount(navBadge) + delta));
  }

  /* --- the chat list (/chats) ------------------------------------------- */

  function updateList(message) {
    var item = document.querySelector('#chat-list [data-conversation-id="' + message.conversation_id + '"]');
    if (!item) return;
    var last = item.querySelector("[data-role=last]");
    if (last) last.textContent = (message.sender_id === userId ? "You: " : "") + message.body.slice(0, 90);
    if (message.sender_id !== userId) {
      var badge = item.querySelector("[data-role=unread]");
      setBadge(badge, badgeCount(badge) + 1);
    }
    item.parentNode.prepend(item);
  }

  /* --- the conversation page ---------------------------------------------- */

  var conversationId = chat ? Number(chat.dataset.conversationId) : 0;
  var live = chat && chat.dataset.live === "true";
  var list = chat && document.getElementById("chat-messages");
  var form = chat && document.getElementById("chat-form");
  var textarea = form && form.querySelector("textarea");
  var lastSeq = chat ? Number(chat.dataset.lastSeq) : 0;
  var firstSeq = chat ? Number(chat.dataset.firstSeq) : 0;
  var seenSeq = chat ? Number(chat.dataset.seenSeq) : 0;
  var known = new Set();
  var ahead = new Map();
  var gapTimer = null;

  if (list) {
    list.querySelectorAll(".chat-message").forEach(function (li) { known.add(Number(li.dataset.id)); });
  }

  function viewing() {
    return live && document.visibilityState === "visible";
  }

  function timeLabel(iso) {
    var date = new Date(iso);
    return date.toLocaleString(undefined, { day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  function buildItem(message, status) {
    var li = document.createElement("li");
    var mine = message.sender_id === userId;
    li.className = "chat-message" + (mine ? " mine" : "");
    if (message.id) li.dataset.id = message.id;
    if (message.seq) li.dataset.seq = message.seq;
    li.dataset.clientId = message.client_id;
    var meta = document.createElement("span");
    meta.className = "chat-meta";
    var who = document.createElement("strong");
    who.textContent = mine ? "You" : message.sender_name;
    var when = document.createElement("time");
    if (message.created_at) {
      when.dateTime = message.created_at;
      when.textContent = timeLabel(message.created_at);
    }
    meta.append(who, " ", when);
    var body = document.createElement("span");
    body.className = "chat-body";
    if (message.html !== undefined) {
      body.innerHTML = message.html; // escaped and linkified by the server
    } else {
      body.textContent = message.body;
    }
    li.append(meta, body);
    if (!mine && message.id && !message.removed) {
      var report = document.createElement("a");
      report.className = "chat-report";
      report.href = "/report/message/" + message.id;
      report.textContent = "Report";
      li.append(" ", report);
    }
    if (mine) {
      var state = document.createElement("span");
      state.className = "chat-status";
      state.dataset.role = "status";
      state.textContent = status || "sent";
      li.append(state);
    }
    return li;
  }

  function scrollToEnd() {
    var anchor = document.getElementById("latest");
    if (anchor && anchor.scrollIntoView) anchor.scrollIntoView({ block: "end" });
  }

  function announce(message) {
    var announcer = document.getElementById("chat-announcer");
    if (announcer) announcer.textContent = message.sender_name + " says: " + message.body;
  }

  function markSeen() {
    list.querySelectorAll(".chat-message.mine[data-seq]").forEach(function (li) {
      var state = li.querySelector("[data-role=status]");
      if (state && state.textContent !== "failed") {
        state.textContent = Number(li.dataset.seq) <= seenSeq ? "seen" : "sent";
      }
    });
  }

  function place(message) {
    // Exactly once, in order: drop what is held, keep what is ahead for later.
    if (known.has(message.id) || message.seq <= lastSeq) return false;
    if (message.seq > lastSeq + 1) {
      ahead.set(message.seq, message);
      scheduleGapFill();
      return false;
    }
    var pending = message.sender_id === userId && list.querySelector('.chat-message.pending[data-client-id="' + message.client_id + '"]');
    var item = buildItem(message, "sent");
    if (pending) pending.remove();
    list.append(item);
    known.add(message.id);
    lastSeq = message.seq;
    if (!firstSeq) firstSeq = message.seq;
    var empty = document.getElementById("chat-empty");
    if (empty) empty.remove();
    if (message.sender_id !== userId) announce(message);
    var next = ahead.get(lastSeq + 1);
    if (next) {
      ahead.delete(next.seq);
      place(next);
    }
    return true;
  }

  function scheduleGapFill() {
    if (gapTimer) return;
    gapTimer = setTimeout(function () {
      gapTimer = null;
      if (ahead.size) sync();
    }, 800);
  }

  function sync() {
    if (!chat || !live) return;
    var wanted = {};
    wanted[conversationId] = lastSeq;
    socket.timeout(15000).emit("sync", { conversations: wanted }, function (err, reply) {
      if (err || !reply || !reply.ok) return;
      var missed = reply.messages[String(conversationId)] || [];
      var added = false;
      missed.forEach(function (message) { added = place(message) || added; });
      if (added) {
        scrollToEnd();
        markSeen();
        readNow();
      }
      if (reply.more.indexOf(String(conversationId)) !== -1) sync();
    });
  }

  function readNow() {
    if (!viewing() || !lastSeq) return;
    socket.emit("read", { conversation_id: conversationId, seq: lastSeq });
  }

  function setStatus(li, text) {
    var state = li.querySelector("[data-role=status]");
    if (state) state.textContent = text;
  }

  function showError(li, message) {
    li.classList.add("failed");
    setStatus(li, "failed");
    var old = li.querySelector(".chat-error");
    if (old) old.remove();
    var error = document.createElement("span");
    error.className = "chat-error";
    error.setAttribute("role", "alert");
    error.textContent = message + " ";
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "link-button";
    retry.textContent = "Retry";
    retry.addEventListener("click", function () { emitSend(li, li._payload); });
    error.append(retry);
    li.append(error);
  }

  function emitSend(li, payload) {
    li.classList.remove("failed");
    var old = li.querySelector(".chat-error");
    if (old) old.remove();
    setStatus(li, "sending");
    socket.timeout(10000).emit("send", payload, function (err, reply) {
      if (err) {
        showError(li, "Not sent: no answer from the server.");
        return;
      }
      if (!reply.ok) {
        showError(li, reply.error.message);
        return;
      }
      // place() swaps the pending line for the stored message; if the live
      // echo came first it is already shown; if an earlier message is still
      // on its way, the pending line stays until its turn comes.
      if (!place(reply.message)) {
        if (known.has(reply.message.id) || reply.message.seq <= lastSeq) li.remove();
        else setStatus(li, "sent");
      }
      markSeen();
      scrollToEnd();
    });
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function submit(event) {
    if (!socket.connected) return; // the plain form post still works
    event.preventDefault();
    var body = textarea.value.trim();
    if (!body) {
      textarea.focus();
      return;
    }
    var payload = { conversation_id: conversationId, client_id: newClientId(), body: body };
    var li = buildItem({ sender_id: userId, client_id: payload.client_id, body: body }, "sending");
    li.classList.add("pending");
    li._payload = payload;
    list.append(li);
    textarea.value = "";
    scrollToEnd();
    emitSend(li, payload);
  }

  var lastTyping = 0;
  function typing() {
    var now = Date.now();
    if (now - lastTyping < 2500 || !socket.connected) return;
    lastTyping = now;
    socket.emit("typing", { conversation_id: conversationId });
  }

  var typingTimer = null;
  function showTyping(name) {
    var note = document.getElementById("chat-typing");
    note.textContent = name + " is typing…";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { note.textContent = ""; }, 4000);
  }

  function showPresence(info) {
    var note = document.getElementById("chat-presence");
    if (!note) return;
    if (info.online) note.textContent = "online now";
    else if (info.last_seen) note.textContent = "last seen " + timeLabel(info.last_seen);
    else note.textContent = "";
  }

  var loadingOlder = false;
  function loadOlder(event) {
    if (event) event.preventDefault();
    if (loadingOlder || firstSeq <= 1 || !socket.connected) return;
    loadingOlder = true;
    socket.timeout(15000).emit("history", { conversation_id: conversationId, before_seq: firstSeq }, function (err, reply) {
      loadingOlder = false;
      if (err || !reply.ok) return;
      var before = document.documentElement.scrollHeight;
      var fragment = document.createDocumentFragment();
      reply.messages.forEach(function (message) {
        if (known.has(message.id)) return;
        known.add(message.id);
        fragment.append(buildItem(message, "sent"));
      });
      list.prepend(fragment);
      if (reply.messages.length) firstSeq = reply.messages[0].seq;
      window.scrollBy(0, document.documentElement.scrollHeight - before);
      markSeen();
      var link = document.getElementById("chat-older");
      if (link && firstSeq <= 1) link.parentNode.remove();
    });
  }

  if (chat && live) {
    form.addEventListener("submit", submit);
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    textarea.addEventListener("input", typing);
    var older = document.getElementById("chat-older");
    if (older) older.addEventListener("click", loadOlder);
    window.addEventListener("scroll", function () {
      if (window.scrollY < 40 && document.getElementById("chat-older")) loadOlder();
    });
    document.addEventListener("visibilitychange", readNow);
    markSeen();
  }

  /* --- events from the server ---------------------------------------------- */

  socket.on("connect", function () {
    var note = chat && document.getElementById("chat-connection");
    if (note) note.textContent = "";
    if (chat && live) {
      sync();
      readNow();
      socket.emit("presence", { conversation_id: conversationId }, function (reply) {
        if (reply && reply.ok) showPresence(reply);
      });
    }
  });

  socket.on("disconnect", function (reason) {
    var note = chat && document.getElementById("chat-connection");
    if (!note) return;
    if (reason === "io server disconnect") {
      note.textContent = "You were signed out. Reload the page to chat again.";
    } else {
      note.textContent = "Reconnecting…";
    }
  });

  socket.on("message", function (message) {
    var here = chat && live && message.conversation_id === conversationId;
    if (here) {
      if (place(message)) {
        scrollToEnd();
        markSeen();
        readNow();
      }
    }
    if (message.sender_id !== userId && !(here && viewing())) bumpNav(1);
    updateList(message);
  });

  // A moderator hid (or restored) a message: its text changes in place.
  socket.on("message_hidden", function (message) {
    if (!chat || message.conversation_id !== conversationId) return;
    var li = list.querySelector('.chat-message[data-id="' + message.id + '"]');
    if (!li) return;
    li.querySelector(".chat-body").innerHTML = message.html; // escaped by the server
    var report = li.querySelector(".chat-report");
    if (report && message.removed) report.remove();
  });

  socket.on("unread", function (info) {
    setBadge(navBadge, info.total);
    var item = document.querySelector('#chat-list [data-conversation-id="' + info.conversation_id + '"] [data-role=unread]');
    setBadge(item, info.count);
  });

  socket.on("read", function (receipt) {
    if (!chat || receipt.conversation_id !== conversationId) return;
    seenSeq = Math.max(seenSeq, receipt.seq);
    markSeen();
  });

  socket.on("typing", function (info) {
    if (chat && info.conversation_id === conversationId) showTyping(info.name);
  });

  socket.on("presence", function (info) {
    if (chat && info.user_id === Number(chat.dataset.otherId)) showPresence(info);
  });

  socket.on("blocked", function (info) {
    if (!chat || info.conversation_ids.indexOf(conversationId) === -1) return;
    var note = document.getElementById("chat-connection");
    if (info.blocked) {
      form.hidden = true;
      note.textContent = "Messages between you have stopped: one of you blocked the other.";
    } else {
      note.textContent = "The block was lifted. Reload the page to see whether you can write again.";
    }
  });
})();
