// psm-bot sandbox page: Telegram-like chats of simulated personas with the real bot.
// Plain JavaScript, no framework, no build step. The only HTML inserted as HTML is the
// message text/caption the server sends (Telegram's HTML, escaped by the server); every
// other text (names, labels, file names, buttons) goes in through textContent.
// Its labels are in sandbox-labels.js, a message's rendering in sandbox-render.js.
"use strict";

// The events' time zone: the page shows every time as the people at the event see it,
// whatever the time zone of the computer running the browser.
const TIME_ZONE = "Europe/Rome";

const state = { lang: "it", info: null, personas: [], panes: [], active: 0, live: false };
const $ = (selector, root = document) => root.querySelector(selector);

function t(key, values = {}) {
  const text = (LABELS[state.lang] && LABELS[state.lang][key]) || LABELS.it[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function applyLabels(root = document) {
  document.documentElement.lang = state.lang;
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-aria]").forEach((el) => el.setAttribute("aria-label", t(el.dataset.i18nAria)));
  root.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  $("#lang").textContent = t("lang_button");
}

// --- HTTP ------------------------------------------------------------------------------
async function api(path, options = {}) {
  const init = { ...options };
  if (options.json !== undefined) {
    init.method = init.method || "POST";
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, init);
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (!response.ok) {
    const message = (body && body.error) || `HTTP ${response.status}`;
    throw new Error(message);
  }
  return body;
}

function toast(text, kind = "") {
  const el = document.createElement("div");
  el.className = `toast ${kind}`;
  el.textContent = text;
  $("#toasts").append(el);
  setTimeout(() => el.remove(), 3500);
}

function showAlert(text) {
  const dialog = $("#alert");
  $("#alert-text").textContent = text;
  if (!dialog.open) dialog.showModal();
}

function failed(error) { toast(`${t("error")}: ${error.message}`, "error"); }

// --- state: clock, personas, templates -------------------------------------------------
async function loadState() {
  state.info = await api(`/api/state?lang=${state.lang}`);
  state.personas = state.info.personas || [];
  renderState();
}

function roleText(role) { return t(`role_${role}`); }

function renderState() {
  const info = state.info;
  $("#now-text").textContent = info.now_text;
  $("#database").textContent = info.database;
  $("#bot-name").textContent = info.bot ? `${info.bot.name} (@${info.bot.username})` : "";
  const at = $("#at");
  if (document.activeElement !== at) at.value = localInput(info.now);
  const moments = $("#moments");
  moments.replaceChildren(...(info.moments || []).map((moment) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.moment = moment.id;
    const label = document.createElement("span");
    label.textContent = moment.label;
    const when = document.createElement("small");
    when.textContent = formatWhen(moment.when);
    button.append(label, when);
    button.addEventListener("click", () => moveClock({ moment: moment.id }, moment.when, formatWhen(moment.when)));
    return button;
  }));
  const select = $("#template");
  const chosen = select.value;
  select.replaceChildren(...(info.templates || []).map((template) => new Option(template.label, template.id)));
  if (chosen) select.value = chosen;
  renderPersonas();
}

function locale() { return state.lang === "en" ? "en-GB" : "it-IT"; }

// A datetime-local value (a local time of the events) as an instant, for comparisons.
function inputInstant(value) {
  const guess = new Date(`${value}:00Z`);
  const shown = localInput(guess.toISOString());
  const drift = new Date(`${shown}:00Z`).getTime() - guess.getTime();
  return new Date(guess.getTime() - drift).toISOString();
}

function formatWhen(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso || "";
  return date.toLocaleString(locale(), {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: TIME_ZONE,
  });
}

// An instant as the value of a datetime-local input, in the events' time zone.
function localInput(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const parts = {};
  new Intl.DateTimeFormat("en-CA", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZone: TIME_ZONE,
  }).formatToParts(date).forEach((part) => { parts[part.type] = part.value; });
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

function renderPersonas() {
  const list = $("#personas");
  const open = state.panes.map((pane) => pane.userId);
  list.replaceChildren(...state.personas.map((persona) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.userId = String(persona.user_id);
    if (open.includes(persona.user_id)) button.setAttribute("aria-current", "true");
    const name = document.createElement("span");
    name.textContent = persona.name;
    const role = document.createElement("span");
    role.className = "role";
    role.textContent = `${persona.label} · ${persona.language}`;
    button.append(name, role);
    button.addEventListener("click", () => openPersona(persona.user_id));
    item.append(button);
    return item;
  }));
  state.panes.forEach(renderPaneSelect);
}

async function moveClock(body, target, label) {
  // both as local times of the events (YYYY-MM-DDTHH:MM compare as strings)
  const back = localInput(target) < localInput(state.info.now);
  if (back && !window.confirm(t("back_warning", { from: state.info.now_text, to: label }))) {
    return;
  }
  try {
    await api("/api/clock", { json: body });
    await loadState();
    toast(t("clock_moved", { when: state.info.now_text }));
  } catch (error) { failed(error); }
}

// --- panes -----------------------------------------------------------------------------
function createPane(index) {
  const node = $("#pane-template").content.firstElementChild.cloneNode(true);
  const pane = {
    index, node, userId: null, seq: 0, elements: new Map(), commands: [], busy: false, again: false,
    list: $(".messages", node), menu: $(".command-menu", node), select: $(".pane-persona", node),
  };
  node.dataset.pane = String(index);
  node.addEventListener("focusin", () => setActive(index));
  node.addEventListener("click", () => setActive(index));
  pane.select.addEventListener("change", () => showPersona(pane, Number(pane.select.value) || null));
  $(".composer", node).addEventListener("submit", (event) => { event.preventDefault(); sendText(pane); });
  $(".menu-button", node).addEventListener("click", () => toggleMenu(pane));
  $(".photo", node).addEventListener("change", () => sendPhoto(pane));
  node.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !pane.menu.hidden) { toggleMenu(pane, false); $(".menu-button", node).focus(); }
  });
  applyLabels(node);
  $("#panes").append(node);
  state.panes.push(pane);
  renderPaneSelect(pane);
  renderEmpty(pane);
  return pane;
}

function setActive(index) {
  state.active = index;
  state.panes.forEach((pane) => pane.node.classList.toggle("active", pane.index === index && state.panes.length > 1));
}

function renderPaneSelect(pane) {
  const options = [new Option(t("choose"), "")];
  state.personas.forEach((persona) => options.push(new Option(`${persona.name} · ${persona.label}`, String(persona.user_id))));
  pane.select.replaceChildren(...options);
  pane.select.value = pane.userId ? String(pane.userId) : "";
  const persona = state.personas.find((p) => p.user_id === pane.userId);
  $(".pane-role", pane.node).textContent = persona ? roleText(persona.role) : "";
}

function renderEmpty(pane) {
  const empty = document.createElement("div");
  empty.className = "empty";
  const text = document.createElement("p");
  text.textContent = pane.userId ? t("no_messages") : t("no_persona");
  empty.append(text);
  if (pane.userId) { // a chat never started: Telegram's START button sends /start
    const start = document.createElement("button");
    start.type = "button";
    start.className = "start";
    start.textContent = t("start");
    start.addEventListener("click", () => sendText(pane, "/start"));
    empty.append(start);
  }
  pane.list.replaceChildren(empty);
}

function openPersona(userId) {
  const pane = state.panes[state.active] || state.panes[0];
  showPersona(pane, userId);
}

function showPersona(pane, userId) {
  pane.userId = userId;
  pane.seq = 0;
  pane.elements = new Map();
  pane.commands = [];
  toggleMenu(pane, false);
  renderEmpty(pane);
  renderPersonas();
  if (userId) refresh(pane);
}

function setSplit(on) {
  $("#split").checked = on;
  $("#panes").classList.toggle("split", on);
  if (on && state.panes.length < 2) createPane(1);
  if (!on && state.panes.length > 1) {
    const second = state.panes.pop();
    second.node.remove();
  }
  setActive(on ? 1 : 0);
  renderPersonas();
}

// --- a chat ----------------------------------------------------------------------------
async function refresh(pane) {
  if (!pane.userId) return;
  if (pane.busy) { pane.again = true; return; }
  pane.busy = true;
  const userId = pane.userId;
  try {
    const chat = await api(`/api/chats/${userId}?after=${pane.seq}`);
    if (pane.userId !== userId) return; // switched meanwhile: never mix chats
    pane.commands = chat.commands || [];
    (chat.messages || []).forEach((message) => placeMessage(pane, message));
    (chat.notices || []).forEach((notice) => {
      if (notice.alert) showAlert(notice.text); else toast(notice.text);
    });
    pane.seq = Math.max(pane.seq, chat.seq || 0);
  } catch (error) {
    failed(error);
  } finally {
    pane.busy = false;
    if (pane.again) { pane.again = false; refresh(pane); }
  }
}

function placeMessage(pane, message) {
  const stick = pane.list.scrollHeight - pane.list.scrollTop - pane.list.clientHeight < 40;
  const element = renderMessage(pane, message);
  const old = pane.elements.get(message.message_id);
  if (old) {
    old.replaceWith(element);
  } else {
    const empty = $(".empty", pane.list);
    if (empty) empty.remove();
    pane.list.append(element);
  }
  pane.elements.set(message.message_id, element);
  if (stick || !old) pane.list.scrollTop = pane.list.scrollHeight;
}

async function press(pane, messageId, data) {
  try {
    await api(`/api/chats/${pane.userId}/press`, { json: { message_id: messageId, data } });
    if (!state.live) setTimeout(() => refresh(pane), 300);
  } catch (error) { failed(error); }
}

async function sendText(pane, text = null) {
  const input = $(".composer .text", pane.node);
  const value = text ?? input.value;
  if (!pane.userId || !value.trim()) return;
  try {
    await api(`/api/chats/${pane.userId}/send`, { json: { text: value } });
    if (text === null) input.value = "";
    refresh(pane);
  } catch (error) { failed(error); }
}

async function sendPhoto(pane) {
  const input = $(".photo", pane.node);
  const file = input.files && input.files[0];
  if (!pane.userId || !file) return;
  const form = new FormData();
  form.append("photo", file, file.name);
  const caption = $(".composer .text", pane.node).value;
  if (caption.trim()) form.append("caption", caption);
  try {
    await api(`/api/chats/${pane.userId}/photo`, { method: "POST", body: form });
    $(".composer .text", pane.node).value = "";
    refresh(pane);
  } catch (error) { failed(error); }
  input.value = "";
}

function toggleMenu(pane, show = pane.menu.hidden) {
  const button = $(".menu-button", pane.node);
  pane.menu.hidden = !show;
  button.setAttribute("aria-expanded", String(show));
  if (!show) return;
  const items = pane.commands.map((command) => {
    const item = document.createElement("button");
    item.type = "button";
    item.setAttribute("role", "menuitem");
    const name = document.createElement("span");
    name.className = "cmd";
    name.textContent = `/${command.command}`;
    const description = document.createElement("span");
    description.textContent = command.description;
    item.append(name, description);
    item.addEventListener("click", () => { toggleMenu(pane, false); sendText(pane, `/${command.command}`); });
    return item;
  });
  if (!items.length) {
    const none = document.createElement("p");
    none.className = "muted";
    none.textContent = t("no_commands");
    items.push(none);
  }
  pane.menu.replaceChildren(...items);
  pane.menu.onkeydown = (event) => {
    const buttons = [...pane.menu.querySelectorAll("button")];
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at >= 0) { event.preventDefault(); buttons[(at + 1) % buttons.length].focus(); }
    if (event.key === "ArrowUp" && at >= 0) { event.preventDefault(); buttons[(at - 1 + buttons.length) % buttons.length].focus(); }
  };
  const first = $("button", pane.menu);
  if (first) first.focus();
}

// --- live updates: SSE, polling as the fallback ----------------------------------------
function onEvent(data) {
  if (data.reset) { resetPanes(); loadState().catch(failed); return; }
  if (data.clock) { loadState().catch(failed); return; }
  if (data.user_id !== undefined) {
    state.panes.filter((pane) => pane.userId === data.user_id).forEach(refresh);
    if (!state.personas.some((p) => p.user_id === data.user_id)) return;
  }
}

function connect() {
  if (!window.EventSource) { startPolling(); return; }
  const source = new EventSource("/api/events");
  source.onopen = () => { state.live = true; $("#connection").textContent = t("live"); };
  source.onmessage = (event) => {
    try { onEvent(JSON.parse(event.data)); } catch (_) { /* a malformed event: ignore it */ }
  };
  source.onerror = () => {
    state.live = false;
    $("#connection").textContent = t("polling");
    if (source.readyState === EventSource.CLOSED) startPolling();
  };
}

let polling = null;
function startPolling() {
  if (polling) return;
  polling = setInterval(() => {
    if (state.live) return;
    state.panes.forEach(refresh);
    loadState().catch(() => {});
  }, 2000);
}

function resetPanes() {
  state.panes.forEach((pane) => showPersona(pane, null));
}

// --- the sidebar's forms ---------------------------------------------------------------
function wireControls() {
  $("#lang").addEventListener("click", () => {
    state.lang = state.lang === "it" ? "en" : "it";
    localStorage.setItem("psm-sandbox-lang", state.lang);
    applyLabels();
    if (state.info) renderState();
    loadState().catch(failed); // the moments' and templates' labels in the new language
    state.panes.forEach((pane) => { if (!pane.userId || !pane.elements.size) renderEmpty(pane); });
  });
  $("#split").addEventListener("change", (event) => setSplit(event.target.checked));
  $("#add-persona").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const persona = await api("/api/personas", { json: { template: $("#template").value } });
      await loadState();
      openPersona(persona.user_id);
    } catch (error) { failed(error); }
  });
  $("#clock-at").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("#at").value;
    // a local time of the events: the server reads it in their time zone
    if (value) moveClock({ at: value }, inputInstant(value), value.replace("T", " "));
  });
  $("#crowd").addEventListener("submit", async (event) => {
    event.preventDefault();
    const zone = Number($("#crowd-zone").value);
    const count = Number($("#crowd-count").value);
    const result = $("#crowd-result");
    result.textContent = t("crowd_busy");
    try {
      const body = await api("/api/crowd", { json: { zone, count } });
      result.textContent = t("crowd_added", { n: body.added, zone });
    } catch (error) { result.textContent = ""; failed(error); }
  });
  $("#reset").addEventListener("click", async () => {
    if (!window.confirm(t("reset_confirm"))) return;
    try {
      await api("/api/reset", { json: {} });
      resetPanes();
      await loadState();
      $("#crowd-result").textContent = "";
      toast(t("reset_done"));
    } catch (error) { failed(error); }
  });
}

async function main() {
  state.lang = localStorage.getItem("psm-sandbox-lang") === "en" ? "en" : "it";
  applyLabels();
  wireControls();
  createPane(0);
  setActive(0);
  try { await loadState(); } catch (error) { failed(error); }
  if (state.personas.length) openPersona(state.personas[0].user_id);
  connect();
  startPolling();
}

document.addEventListener("DOMContentLoaded", main);
