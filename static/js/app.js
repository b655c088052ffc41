// Loaded as a module at the end of <body>: no inline script anywhere, so the CSP can forbid it.
import { initAll } from "../govuk/govuk-frontend.min.js";
import { initCharacterCounts } from "./character-count.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
initAll();
initCharacterCounts();
document.body.addEventListener("htmx:afterSettle", (event) => initCharacterCounts(event.target));
