// The inbox: choose a case to see it beside the list (htmx fetches the preview; without script the
// link loads the list page with the case shown), and single-key shortcuts for the common moves.
// WCAG 2.1.4 (Character Key Shortcuts): they can be turned off, and they act only when the focus is
// not in a field (so never while typing), without Ctrl, Alt or Meta (so never over a screen
// reader's or the browser's own keys).
const STORE = "council-social.shortcuts";
const inbox = document.querySelector("[data-inbox]");
const help = document.querySelector("[data-shortcuts-help]");
const toggle = document.getElementById("shortcuts-on");
const announcer = document.getElementById("case-announcer");

function enabled() {
  try { return localStorage.getItem(STORE) !== "off"; } catch { return true; }
}

if (help && toggle) {
  help.hidden = false;
  toggle.checked = enabled();
  toggle.addEventListener("change", () => {
    try { localStorage.setItem(STORE, toggle.checked ? "on" : "off"); } catch { /* private mode */ }
    say(toggle.checked ? "Keyboard shortcuts on." : "Keyboard shortcuts off.");
  });
}

function say(text) {
  if (announcer) announcer.textContent = text;
}

function rows() {
  return [...document.querySelectorAll("#case-rows tr[data-case]")];
}

function chosenId() {
  return document.querySelector("#case-preview-body")?.dataset.case;
}

function markChosen() {
  const id = chosenId();
  for (const row of rows()) {
    const on = row.dataset.case === id;
    row.classList.toggle("app-inbox__row--selected", on);
    const link = row.querySelector(".app-inbox__open");
    if (on) link?.setAttribute("aria-current", "true"); else link?.removeAttribute("aria-current");
  }
}

function move(step) {
  const all = rows();
  if (!all.length) return;
  const focused = document.activeElement?.closest?.("tr[data-case]");
  const current = all.findIndex((row) => row.dataset.case === (focused?.dataset.case || chosenId()));
  const next = all[Math.min(all.length - 1, Math.max(0, current < 0 ? 0 : current + step))];
  const link = next.querySelector(".app-inbox__open");
  next.scrollIntoView({ block: "nearest" });
  link.focus();
  link.click();
}

function inField(target) {
  return target instanceof Element && (target.closest("input, textarea, select, [contenteditable]") !== null);
}

function preview() {
  return document.getElementById("case-preview-body");
}

function submit(name) {
  const form = preview()?.querySelector(`form[data-shortcut="${name}"]`);
  if (!form) return say("That is not possible for this case.");
  form.requestSubmit();
}

function open(names) {
  const body = preview();
  const details = names.map((n) => body?.querySelector(`details[data-shortcut="${n}"]`)).find(Boolean);
  if (!details) return say("That is not possible for this case.");
  details.open = true;
  const field = details.querySelector("textarea") || details.querySelector("select, input:not([type=hidden])");
  (field || details.querySelector("summary")).focus();
}

const KEYS = {
  j: () => move(1),
  k: () => move(-1),
  a: () => submit("acknowledge"),
  m: () => submit("assign-me"),
  r: () => open(["reply"]),
  e: () => open(["escalate"]),
  v: () => open(["move-route", "move"]),
  c: () => open(["close"]),
  "?": () => { if (help) { help.open = !help.open; help.querySelector("summary").focus(); } },
};

document.addEventListener("keydown", (event) => {
  if (!inbox || !enabled() || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (inField(event.target)) return;
  const action = KEYS[event.key];
  if (!action) return;
  event.preventDefault();
  action();
});

// Live updates add rows at the top of the list. What the reader was looking at stays where it
// was on the screen: the chosen row (or the first row in view) is measured before the new rows
// arrive and the page is scrolled by as much as it moved. (Browsers that anchor scrolling
// themselves leave nothing to correct.)
let anchor = null;

function rowInView() {
  const chosen = rows().find((row) => row.dataset.case === chosenId());
  const visible = (row) => { const box = row.getBoundingClientRect(); return box.bottom > 0 && box.top < innerHeight; };
  return chosen && visible(chosen) ? chosen : rows().find(visible);
}

document.body.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.elt?.id !== "case-poller" || window.scrollY === 0) return;
  const row = rowInView();
  anchor = row ? { row, top: row.getBoundingClientRect().top } : null;
});

document.body.addEventListener("htmx:afterSettle", (event) => {
  markChosen();  // after a live update too: the chosen case stays chosen
  if (event.target.id === "case-preview") {
    const heading = preview()?.querySelector("h2");
    if (heading) say(`${heading.textContent} shown beside the list.`);
  } else if (anchor) {
    if (anchor.row.isConnected) window.scrollBy(0, anchor.row.getBoundingClientRect().top - anchor.top);
    anchor = null;
  }
});
markChosen();
