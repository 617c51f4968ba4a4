/* Kindred manuscripts: selecting words to comment on, and live updates.
 *
 * Reading and chapter notes work without this file. With it, a reader
 * selects words in a paragraph (or uses the paragraph's "Comment" button)
 * and the comment form is filled with the paragraph and the quoted words.
 * The author's open pages receive new comments, notes, answers and progress
 * over Socket.IO; a reader's page that loses access hides the text at once.
 */
(function () {
  "use strict";

  var article = document.getElementById("manuscript");
  var readers = document.querySelector("ul.readers[data-manuscript-id]");
  var root = article || readers;
  if (!root) return;
  var manuscriptId = Number(root.dataset.manuscriptId);
  var chapter = article ? Number(article.dataset.chapter) : 0;
  var isAuthor = article ? article.dataset.author === "1" : true;
  var form = document.getElementById("comment-form");

  // --- selecting words ---------------------------------------------------------

  function paragraphOf(node) {
    while (node && node !== document) {
      if (node.nodeType === 1 && node.classList.contains("paragraph")) return node;
      node = node.parentNode;
    }
    return null;
  }

  function openForm(paragraph, quote) {
    if (!form || !quote) return;
    form.hidden = false;
    form.querySelector("input[name=paragraph]").value = paragraph.dataset.key;
    form.querySelector("textarea[name=quote]").value = quote;
    var block = paragraph.parentNode;
    block.parentNode.insertBefore(form, block.nextSibling);
    form.querySelector("textarea[name=body]").focus({ preventScroll: true });
  }

  function fromSelection() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return;
    var range = selection.getRangeAt(0);
    var start = paragraphOf(range.startContainer);
    if (!start || start !== paragraphOf(range.endContainer)) return;
    var quote = selection.toString().replace(/\s+/g, " ").trim();
    if (quote) openForm(start, quote);
  }

  if (article && !isAuthor && form) {
    article.addEventListener("mouseup", function () { window.setTimeout(fromSelection, 0); });
    article.addEventListener("touchend", function () { window.setTimeout(fromSelection, 0); });
    article.addEventListener("keyup", function (event) {
      if (event.shiftKey) fromSelection();
    });
    // A keyboard path: comment on the whole paragraph, then trim the quote.
    article.querySelectorAll(".paragraph").forEach(function (paragraph) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button comment-paragraph";
      button.textContent = "Comment";
      button.setAttribute("aria-label", "Comment on this paragraph");
      button.addEventListener("click", function () {
        openForm(paragraph, paragraph.textContent.replace(/\s+/g, " ").trim());
      });
      paragraph.parentNode.insertBefore(button, paragraph.nextSibling);
    });
  }

  // --- live ----------------------------------------------------------------------

  if (typeof io !== "function") return;
  var socket = io({ transports: ["websocket", "polling"], tryAllTransports: true });

  function item(who, quote, body, id) {
    var li = document.createElement("li");
    li.className = "comment";
    if (id) li.id = "comment-" + id;
    var name = document.createElement("strong");
    name.textContent = who;
    li.appendChild(name);
    if (quote) {
      li.appendChild(document.createTextNode(" on “"));
      var q = document.createElement("q");
      q.textContent = quote;
      li.appendChild(q);
      li.appendChild(document.createTextNode("”"));
    }
    li.appendChild(document.createTextNode(": " + body));
    return li;
  }

  socket.on("manuscript_comment", function (event) {
    if (!article || event.manuscript_id !== manuscriptId || event.chapter !== chapter) return;
    if (document.getElementById("comment-" + event.comment_id)) return;
    var list = document.querySelector(
      'ul.comments[data-for="' + (event.kind === "note" ? "notes" : event.paragraph) + '"]'
    );
    if (!list) return;
    list.appendChild(item(event.reader, event.kind === "note" ? "" : event.quote, event.body, event.comment_id));
    list.hidden = false;
  });

  socket.on("manuscript_answer", function (event) {
    if (!article || event.manuscript_id !== manuscriptId || event.chapter !== chapter) return;
    var empty = document.querySelector('.answer-empty[data-question="' + event.question_id + '"]');
    var answer = document.createElement("p");
    answer.className = "answer";
    var name = document.createElement("strong");
    name.textContent = event.reader;
    answer.appendChild(name);
    answer.appendChild(document.createTextNode(": " + event.body));
    if (empty) empty.replaceWith(answer);
  });

  socket.on("manuscript_reply", function (event) {
    if (event.manuscript_id !== manuscriptId) return;
    var comment = document.getElementById("comment-" + event.comment_id);
    if (!comment) return;
    var reply = document.createElement("p");
    reply.className = "reply";
    reply.textContent = event.body;
    comment.appendChild(reply);
  });

  socket.on("manuscript_progress", function (event) {
    if (!readers || event.manuscript_id !== manuscriptId) return;
    var row = readers.querySelector('li[data-reader="' + CSS.escape(event.reader) + '"] [data-role=progress]');
    if (row) {
      row.textContent = row.textContent.replace(/has read \d+/, "has read " + event.chapters_read) +
        (event.finished && row.textContent.indexOf("finished") < 0 ? ", and finished" : "");
    }
  });

  function lose(event) {
    if (event.manuscript_id !== manuscriptId || isAuthor) return;
    var main = document.getElementById("main");
    var notice = document.createElement("p");
    notice.className = "notice";
    notice.setAttribute("role", "alert");
    notice.id = "access-ended";
    notice.textContent = "The author has ended your access to this manuscript.";
    main.replaceChildren(notice);
  }
  socket.on("manuscript_revoked", lose);
  socket.on("manuscript_gone", lose);
})();
