// The GOV.UK character count, counting as each platform counts. The rules (limits, X's weights,
// the length of a link) come from the server (publishing.checks.counting_rules) in the box's
// data-count-rules, so the numbers shown are the numbers the server's checks use.
const graphemes = typeof Intl !== "undefined" && Intl.Segmenter
  ? new Intl.Segmenter("en", { granularity: "grapheme" }) : null;

// As publishing/checks.py _EMOJI_RE (twemoji-parser): keycaps, flags, emoji with modifiers,
// presentation selectors, tag sequences and zero-width-joiner sequences.
const ELEMENT = String.raw`(?:\p{Emoji_Modifier_Base}\p{Emoji_Modifier}|[\p{Extended_Pictographic}&&\p{Emoji_Presentation}](?:[\u{E0020}-\u{E007E}]+\u{E007F})?|[\p{Extended_Pictographic}--\p{Emoji_Presentation}--[\u00a9\u00ae]]\u{FE0F}?|[\u00a9\u00ae]\u{FE0F})`;
const EMOJI = new RegExp(String.raw`\p{Regional_Indicator}\p{Regional_Indicator}|[0-9#*]\u{FE0F}?\u{20E3}|${ELEMENT}(?:\u{200D}${ELEMENT})*`, "gv");
const URL_RE = /(?<![\w@.-])(?:https?:\/\/)?((?:[\p{L}\p{N}-]+\.)+([\p{L}\p{N}-]+))(?![\p{L}\p{N}@+-])(?:[/?#][^\s<>"]*[^\s<>".,:;!?)\]'"])?/giu;
const tldSets = new Map();

// Links as X and Mastodon see them: a domain (with or without http(s)://) whose last label is a
// real top-level domain, with its path.
function linkSpans(text, rule) {
  if (!tldSets.has(rule.tlds)) tldSets.set(rule.tlds, new Set(rule.tlds.split(" ")));
  const tlds = tldSets.get(rule.tlds);
  const out = new Map();
  for (const match of text.matchAll(URL_RE)) {
    const hasScheme = /^https?:\/\//i.test(match[0]);
    if (!tlds.has(match[2].toLowerCase())) continue;
    if (rule.unit === "mastodon" && !hasScheme) continue;
    out.set(match.index, match.index + match[0].length);
  }
  return out;
}

export function graphemeCount(text) {
  if (!graphemes) return [...text].length;
  let n = 0;
  for (const _ of graphemes.segment(text)) n += 1;
  return n;
}

function spans(regex, text) {
  const out = new Map();
  for (const match of text.matchAll(regex)) out.set(match.index, match.index + match[0].length);
  return out;
}

export function xLength(text, rule) {
  text = text.normalize("NFC").replace(/\r\n|\r/g, "\n");
  const urls = linkSpans(text, rule);
  const emoji = spans(EMOJI, text);
  let length = 0;
  let index = 0;
  while (index < text.length) {
    if (urls.has(index)) {
      length += rule.url_length;
      index = urls.get(index);
    } else if (emoji.has(index)) {
      length += rule.emoji_weight;
      index = emoji.get(index);
    } else {
      const code = text.codePointAt(index);
      const one = rule.weight_one.some(([low, high]) => code >= low && code <= high);
      length += one ? 1 : rule.other_weight;
      index += code > 0xffff ? 2 : 1;
    }
  }
  return length;
}

export function mastodonLength(text, rule) {
  const links = linkSpans(text, rule);
  let linked = "";
  let index = 0;
  for (const [start, end] of [...links.entries()].sort((a, b) => a[0] - b[0])) {
    linked += text.slice(index, start) + "x".repeat(rule.url_length);
    index = end;
  }
  linked += text.slice(index);
  const shortened = linked
    .replace(/(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)@[\w]+(?:[.-]+[\w]+)*/giu, "@$1");
  return graphemeCount(shortened);
}

export function measure(text, rule) {
  if (rule.unit === "x") return xLength(text, rule);
  if (rule.unit === "mastodon") return mastodonLength(text, rule);
  if (rule.unit === "grapheme") return graphemeCount(text);
  return [...text].length;
}

function platformsFor(box, rules) {
  const map = box.dataset.countChannels ? JSON.parse(box.dataset.countChannels) : null;
  if (!map) return Object.keys(rules);
  const ticked = [...box.form.querySelectorAll('input[name="channels"]:checked')]
    .map((input) => map[input.value]).filter((p) => p && rules[p]);
  const chosen = ticked.length ? ticked : Object.values(map).filter((p) => rules[p]);
  return [...new Set(chosen)];
}

function describe(box, rules) {
  const text = box.value;
  return platformsFor(box, rules).map((platform) => {
    const rule = rules[platform];
    const used = measure(text, rule);
    const left = rule.limit - used;
    const words = left >= 0
      ? `${rule.name}: you have ${left.toLocaleString("en-GB")} character${left === 1 ? "" : "s"} remaining`
      : `${rule.name}: you have ${(-left).toLocaleString("en-GB")} character${left === -1 ? "" : "s"} too many`;
    return { words, over: left < 0 };
  });
}

export function initCharacterCounts(root = document) {
  for (const box of root.querySelectorAll("textarea[data-count-rules]")) {
    if (box.dataset.countReady) continue;
    box.dataset.countReady = "1";
    const rules = JSON.parse(box.dataset.countRules);
    const visible = document.createElement("div");
    visible.className = "govuk-hint govuk-character-count__message app-character-count";
    visible.setAttribute("aria-hidden", "true");
    const spoken = document.createElement("div");
    spoken.className = "govuk-character-count__sr-status govuk-visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    box.after(visible, spoken);
    const hint = document.getElementById(`${box.id}-count-info`);
    if (hint) hint.classList.add("govuk-visually-hidden");
    let timer;
    const update = () => {
      const lines = describe(box, rules);
      visible.replaceChildren(...lines.map(({ words, over }) => {
        const line = document.createElement("span");
        line.className = `app-character-count__line${over ? " govuk-error-message" : ""}`;
        line.textContent = words;
        return line;
      }));
      box.classList.toggle("govuk-textarea--error", lines.some((l) => l.over) || box.dataset.hadError === "1");
      clearTimeout(timer);
      timer = setTimeout(() => { spoken.textContent = lines.map((l) => l.words).join(". "); }, 1000);
    };
    box.dataset.hadError = box.classList.contains("govuk-textarea--error") ? "1" : "0";
    box.addEventListener("input", update);
    box.form?.addEventListener("change", (event) => {
      if (event.target.name === "channels") update();
    });
    update();
  }
}

window.CouncilSocialCount = { measure, initCharacterCounts };
