// psm-bot sandbox page: one message of a chat as Telegram shows it (bubble, formatted text,
// photo, album, venue, document, inline keyboard). The only HTML inserted as HTML is the
// text/caption the server sends (Telegram's HTML, escaped by the server); everything else
// goes in through textContent. Uses t(), state, locale(), TIME_ZONE and press() of sandbox.js.
"use strict";

function renderMessage(pane, message) {
  const wrap = document.createElement("div");
  wrap.className = `msg ${message.from === "user" ? "user" : "bot"}`;
  wrap.dataset.messageId = String(message.message_id);
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (message.photo) bubble.append(image(message.photo.url, "media"));
  if (message.album) bubble.append(album(message.album));
  if (message.venue) bubble.append(venue(message.venue));
  if (message.document) bubble.append(documentLink(message.document));
  if (message.html) {
    const text = document.createElement("div");
    text.className = "text";
    text.innerHTML = message.html; // Telegram's HTML, escaped by the server
    linkify(text);
    text.querySelectorAll("a").forEach((a) => { a.target = "_blank"; a.rel = "noopener noreferrer"; });
    text.querySelectorAll("tg-spoiler").forEach((s) => s.addEventListener("click", () => s.classList.toggle("shown")));
    bubble.append(text);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  const time = new Date(message.date);
  const hhmm = Number.isNaN(time.getTime()) ? "" : time.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit", timeZone: TIME_ZONE });
  meta.textContent = message.edited ? `${t("edited")} ${hhmm}` : hhmm;
  bubble.append(meta);
  wrap.append(bubble);
  if (message.buttons && message.buttons.length) wrap.append(keyboard(pane, message));
  return wrap;
}

// Telegram makes the web addresses of a text clickable: so does the page, on the DOM (text
// nodes split around each address, an <a> made for it), never by building HTML.
const URL_RE = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

function linkify(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement.closest("a, code, pre") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  nodes.forEach((node) => {
    const value = node.nodeValue;
    URL_RE.lastIndex = 0;
    if (!URL_RE.test(value)) return;
    URL_RE.lastIndex = 0;
    const pieces = document.createDocumentFragment();
    let last = 0;
    for (const match of value.matchAll(URL_RE)) {
      pieces.append(value.slice(last, match.index));
      const link = document.createElement("a");
      link.href = match[0];
      link.textContent = match[0];
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      pieces.append(link);
      last = match.index + match[0].length;
    }
    pieces.append(value.slice(last));
    node.replaceWith(pieces);
  });
}

function image(url, className) {
  const box = document.createElement("div");
  box.className = className;
  const img = document.createElement("img");
  img.src = url;
  img.alt = "";
  img.loading = "lazy";
  box.append(img);
  return box;
}

function album(items) {
  const grid = document.createElement("div");
  grid.className = "album";
  items.forEach((item) => {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.src = item.url;
    img.alt = "";
    figure.append(img);
    if (item.html) {
      const caption = document.createElement("figcaption");
      caption.innerHTML = item.html; // escaped by the server
      figure.append(caption);
    }
    grid.append(figure);
  });
  return grid;
}

function venue(place) {
  const box = document.createElement("div");
  box.className = "venue";
  const title = document.createElement("strong");
  title.textContent = `📍 ${place.title}`;
  const address = document.createElement("span");
  address.textContent = place.address;
  box.append(title, address);
  if (place.map_url) {
    const link = document.createElement("a");
    link.href = place.map_url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = ` · ${t("map")} ↗`;
    box.append(link);
  }
  return box;
}

function documentLink(file) {
  const box = document.createElement("div");
  box.className = "document";
  const icon = document.createElement("span");
  icon.className = "icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "📄";
  const link = document.createElement("a");
  link.href = file.url;
  link.download = file.name;
  link.textContent = file.name;
  link.title = t("download");
  box.append(icon, link);
  return box;
}

function keyboard(pane, message) {
  const box = document.createElement("div");
  box.className = "keyboard";
  message.buttons.forEach((row) => {
    const line = document.createElement("div");
    line.className = "krow";
    row.forEach((spec) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = spec.text;
      if (spec.url) {
        button.classList.add("url");
        button.addEventListener("click", () => window.open(spec.url, "_blank", "noopener"));
      } else {
        button.addEventListener("click", () => press(pane, message.message_id, spec.data));
      }
      line.append(button);
    });
    box.append(line);
  });
  return box;
}
