/* The projector page: reads the board (JSON) of its link's event and draws it. Updates come
   by Server-Sent Events ("events"), or, when they cannot get through, by asking for
   "board.json" every 2 seconds. Everything from the server is set as text, never as HTML. */
"use strict";

(function () {
  const MODES = ["questions", "poll", "synthesis"];
  const POLL_EVERY = 2000;
  const params = new URLSearchParams(window.location.search);
  const lang = params.get("lang") === "en" ? "en" : "it";
  let mode = MODES.includes(params.get("mode")) ? params.get("mode") : "questions";
  let source = null;
  let timer = null;
  let failures = 0;
  let stopped = false;
  let generation = 0; // a board of an earlier mode is not drawn

  const $ = (id) => document.getElementById(id);
  const text = (id, value) => { $(id).textContent = value == null ? "" : String(value); };
  const make = (tag, className, value) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (value != null) node.textContent = String(value);
    return node;
  };
  const query = () => `mode=${encodeURIComponent(mode)}&lang=${lang}`;

  function labels(board) {
    const l = board.labels || {};
    for (const name of MODES) {
      const button = $(`mode-${name}`);
      button.querySelector("span").textContent = l[`mode_${name}`] || name;
      button.setAttribute("aria-pressed", String(name === mode));
    }
    text("answering-now", l.answering_now);
    text("no-questions", l.no_questions);
    text("no-poll", l.no_poll);
    text("no-synthesis", l.no_synthesis);
    text("top-title", l.top);
    text("heat-title", l.heatmap);
    text("offline", l.offline);
    text("expired-text", l.expired);
    document.title = `${board.event ? board.event.title : ""} · ${l.title || ""}`;
  }

  function meta(q, anonymous) {
    return [q.name || anonymous, q.axis].filter(Boolean).join(" · ");
  }

  /* The list, keyed by question id: rows are moved, not rebuilt, so a support change or a
     new order slides gently (FLIP) and a new question fades in. */
  function drawList(list, questions, anonymous) {
    const before = new Map();
    for (const row of list.children) before.set(row.dataset.id, row.getBoundingClientRect().top);
    const rows = new Map([...list.children].map((row) => [row.dataset.id, row]));
    const keep = new Set();
    questions.forEach((q, index) => {
      const id = String(q.id);
      keep.add(id);
      let row = rows.get(id);
      if (!row) {
        row = make("li", "new");
        row.dataset.id = id;
        const count = make("div", "count");
        count.append(make("span", "n"), make("small", "w"));
        const body = make("div", "body");
        body.append(make("p", "q-text"), make("p", "q-meta"));
        row.append(count, body);
      }
      const number = row.querySelector(".count .n");
      const count = row.querySelector(".count");
      if (number.textContent !== "" && number.textContent !== String(q.supports)) {
        count.classList.remove("bump");
        void count.offsetWidth;
        count.classList.add("bump");
      }
      number.textContent = String(q.supports);
      row.querySelector(".count .w").textContent = q.supports_text.replace(/^\S+\s*/, "");
      row.querySelector(".q-text").textContent = q.text;
      row.querySelector(".q-meta").textContent = meta(q, anonymous);
      row.dataset.supports = String(q.supports);
      if (list.children[index] !== row) list.insertBefore(row, list.children[index] || null);
    });
    for (const [id, row] of rows) if (!keep.has(id)) row.remove();
    for (const row of list.children) {
      const old = before.get(row.dataset.id);
      if (old !== undefined) {
        const delta = old - row.getBoundingClientRect().top;
        if (delta) {
          row.style.transition = "none";
          row.style.transform = `translateY(${delta}px)`;
          requestAnimationFrame(() => {
            row.style.transition = "";
            row.style.transform = "";
          });
        }
      } else {
        requestAnimationFrame(() => requestAnimationFrame(() => row.classList.remove("new")));
      }
    }
  }

  function drawQuestions(board) {
    const l = board.labels || {};
    const win = board.window;
    text("window-title", win ? win.title : board.event.title);
    const counted = board.total ? ` · ${board.total_text}` : "";
    text("window-state", win ? `${win.state_text}${counted}` : l.no_window);
    const lit = board.highlighted;
    $("highlighted").hidden = !lit;
    if (lit) {
      text("highlighted-text", lit.text);
      $("highlighted-text").classList.toggle("long", lit.text.length > 160);
      text("highlighted-meta", `${meta(lit, l.anonymous)} · ${lit.supports_text}`);
      $("highlighted").dataset.id = String(lit.id);
    }
    drawList($("question-list"), board.questions || [], l.anonymous);
    $("no-questions").hidden = Boolean(lit) || (board.questions || []).length > 0;
    const join = board.join || {};
    text("join-text", join.text);
    text("join-username", join.username);
    text("join-command", join.command);
    const qr = $("join-qr");
    if (join.username && !qr.getAttribute("src")) qr.setAttribute("src", "qr.svg");
    qr.hidden = !join.username;
  }

  function drawPoll(board) {
    const poll = board.poll;
    const l = board.labels || {};
    $("no-poll").hidden = Boolean(poll);
    $("poll-bars").hidden = !poll;
    text("window-title", board.event.title);
    text("window-state", l.mode_poll);
    if (!poll) {
      text("poll-title", "");
      text("poll-meta", "");
      return;
    }
    text("poll-title", poll.title);
    text("poll-meta", [poll.where, poll.state_text, poll.respondents_text].filter(Boolean).join(" · "));
    const list = $("poll-bars");
    const rows = new Map([...list.children].map((row) => [row.dataset.key, row]));
    const keep = new Set();
    poll.bars.forEach((bar, index) => {
      keep.add(bar.key);
      let row = rows.get(bar.key);
      if (!row) {
        row = make("li");
        row.dataset.key = bar.key;
        const track = make("div", "bar-track");
        track.append(make("div", "bar-fill"));
        const figures = make("span", "bar-figures");
        figures.append(make("span", "bar-count"), make("span", "bar-points"));
        row.append(make("span", "bar-label"), track, figures);
      }
      row.querySelector(".bar-label").textContent = bar.label;
      row.querySelector(".bar-count").textContent = bar.count_text;
      row.querySelector(".bar-points").textContent = bar.points_text || "";
      row.dataset.count = String(bar.count);
      const fill = row.querySelector(".bar-fill");
      requestAnimationFrame(() => { fill.style.width = `${Math.round(bar.share * 1000) / 10}%`; });
      if (list.children[index] !== row) list.insertBefore(row, list.children[index] || null);
    });
    for (const [key, row] of rows) if (!keep.has(key)) row.remove();
  }

  function drawSynthesis(board) {
    const s = board.synthesis;
    const l = board.labels || {};
    text("window-title", board.event.title);
    text("window-state", l.mode_synthesis);
    $("no-synthesis").hidden = Boolean(s);
    document.querySelector("#synthesis .synthesis").hidden = !s;
    if (!s) return;
    const top = $("top-strategies");
    top.replaceChildren(...s.top.map((item) => {
      const li = make("li", null, item.label);
      li.append(make("span", "share", item.share_text));
      return li;
    }));
    text("synthesis-meta", s.respondents_text);
    const head = make("tr");
    head.append(make("th", "row", ""));
    for (const zone of s.zones) {
      const th = make("th", null, `Z${zone.number}`);
      th.title = zone.name;
      head.append(th);
    }
    head.append(make("th", "mean", l.overall));
    const highest = Math.max(0.0001, ...s.rows.flatMap((row) => row.cells));
    const body = s.rows.map((row) => {
      const tr = make("tr");
      tr.append(make("th", "row", row.label));
      row.cells.forEach((value, i) => {
        const td = make("td", null, row.cells_text[i]);
        td.style.backgroundColor = `rgba(255, 209, 102, ${(0.08 + 0.82 * value / highest).toFixed(3)})`;
        if (value / highest > 0.55) td.style.color = "#05080c";
        tr.append(td);
      });
      const mean = make("td", "mean", row.overall_text);
      mean.style.backgroundColor = `rgba(255, 209, 102, ${(0.08 + 0.82 * row.overall / highest).toFixed(3)})`;
      if (row.overall / highest > 0.55) mean.style.color = "#05080c";
      tr.append(mean);
      return tr;
    });
    const table = $("heatmap");
    table.tHead.replaceChildren(head);
    table.tBodies[0].replaceChildren(...body);
  }

  function draw(board) {
    if (!board || board.mode !== mode) return;
    document.body.dataset.mode = mode;
    for (const name of MODES) $(name).hidden = name !== mode;
    labels(board);
    if (mode === "poll") drawPoll(board);
    else if (mode === "synthesis") drawSynthesis(board);
    else drawQuestions(board);
    document.body.dataset.version = String(Number(document.body.dataset.version || 0) + 1);
  }

  function expired() {
    stopped = true;
    if (source) source.close();
    if (timer) clearTimeout(timer);
    $("expired").hidden = false;
  }

  async function fetchBoard(mine) {
    try {
      const response = await fetch(`board.json?${query()}`, { cache: "no-store" });
      if (response.status === 403) return expired();
      if (!response.ok) throw new Error(String(response.status));
      const board = await response.json();
      if (mine === generation) draw(board);
      $("offline").hidden = true;
    } catch (error) {
      $("offline").hidden = false;
    }
  }

  function polling(mine) {
    document.body.dataset.transport = "polling";
    const step = async () => {
      if (stopped || mine !== generation) return;
      await fetchBoard(mine);
      timer = setTimeout(step, POLL_EVERY);
    };
    step();
  }

  /* Server-Sent Events first; after two failed attempts, or when the stream brings nothing
     within 5 s (a proxy that buffers it: the server sends the board at once), every 2 s. */
  function connect() {
    generation += 1;
    const mine = generation;
    if (source) source.close();
    if (timer) clearTimeout(timer);
    if (stopped) return;
    if (!("EventSource" in window) || failures >= 2) return polling(mine);
    document.body.dataset.transport = "sse";
    let received = false;
    source = new EventSource(`events?${query()}`);
    const watchdog = setTimeout(() => {
      if (!received && mine === generation) { failures = 2; connect(); }
    }, 5000);
    source.onmessage = (message) => {
      received = true;
      failures = 0;
      $("offline").hidden = true;
      if (mine === generation) draw(JSON.parse(message.data));
    };
    source.addEventListener("expired", () => { clearTimeout(watchdog); expired(); });
    source.onerror = () => {
      if (mine !== generation) return;
      clearTimeout(watchdog);
      source.close();
      failures += 1;
      fetchBoard(mine).then(() => { if (!stopped && mine === generation) setTimeout(connect, 1000); });
    };
  }

  function choose(name) {
    if (!MODES.includes(name) || name === mode) return;
    mode = name;
    params.set("mode", mode);
    window.history.replaceState(null, "", `?${params.toString()}`);
    for (const other of MODES) $(`mode-${other}`).setAttribute("aria-pressed", String(other === mode));
    connect();
  }

  document.documentElement.lang = lang;
  for (const name of MODES) $(`mode-${name}`).addEventListener("click", () => choose(name));
  document.addEventListener("keydown", (event) => {
    const keys = { "1": "questions", "2": "poll", "3": "synthesis", q: "questions", d: "questions", p: "poll", s: "synthesis" };
    const name = keys[event.key.toLowerCase()];
    if (name && !event.ctrlKey && !event.metaKey && !event.altKey) choose(name);
  });
  connect();
})();
