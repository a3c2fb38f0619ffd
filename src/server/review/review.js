// The review page: sends the article to POST /api/v1/check and shows it back with every
// quotation marked by verdict; selecting a mark shows the registered words beside the submitted
// ones with the changes marked, who the register credits, and what credit the text gave.
"use strict";

(function () {
  const KEY = "verbatim.apiKey";
  const form = document.getElementById("check-form");
  const article = document.getElementById("article");
  const apiKey = document.getElementById("api-key");
  const button = document.getElementById("check");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const summary = document.getElementById("summary");
  const marked = document.getElementById("marked");
  const detail = document.getElementById("detail");
  const detailBody = document.getElementById("detail-body");
  const closeDetail = document.getElementById("close-detail");

  const VERDICTS = {
    verified: "Verified",
    misquoted: "Misquoted",
    unregistered: "Unregistered",
    retracted: "Retracted",
    too_short: "Too short to check",
  };
  const CREDITS = {
    correct: "credited correctly",
    missing: "no credit in the text",
    misattributed: "credited to someone else",
    not_applicable: "nothing to compare",
  };

  let findings = [];
  let lastMark = null;

  apiKey.value = sessionStorage.getItem(KEY) || "";
  apiKey.addEventListener("change", () => {
    if (apiKey.value) sessionStorage.setItem(KEY, apiKey.value);
    else sessionStorage.removeItem(KEY);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = article.value;
    if (!text.trim()) {
      say("Paste an article first.", true);
      article.focus();
      return;
    }
    button.disabled = true;
    say("Checking…");
    try {
      const headers = { "content-type": "application/json" };
      if (apiKey.value) headers.authorization = "Bearer " + apiKey.value;
      const response = await fetch("/api/v1/check", {
        method: "POST",
        headers,
        body: JSON.stringify({ text }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const hint = response.status === 401 ? " Enter an API key below the article." : "";
        say(`${body.code || response.status}: ${body.message || response.statusText}.${hint}`, true);
        if (response.status === 401) document.getElementById("key-details").open = true;
        return;
      }
      show(text, body);
      say(`Checked: ${body.summary.total} quotation${body.summary.total === 1 ? "" : "s"} found.`);
    } catch (error) {
      say("The server did not answer: " + error.message, true);
    } finally {
      button.disabled = false;
    }
  });

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("error", Boolean(isError));
  }

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function show(text, checked) {
    findings = checked.findings;
    hideDetail();
    const s = checked.summary;
    summary.replaceChildren(
      ...[
        ["verified", "Verified", s.verified],
        ["misquoted", "Misquoted", s.misquoted],
        ["unregistered", "Unregistered", s.unregistered],
        ["retracted", "Retracted", s.retracted],
        ["too_short", "Too short", s.too_short],
        ["attribution_correct", "Credited correctly", s.attribution_correct],
        ["attribution_missing", "Credit missing", s.attribution_missing],
        ["attribution_misattributed", "Misattributed", s.attribution_misattributed],
      ].map(([key, label, count]) =>
        element("div", { "data-count": key }, element("dt", {}, label), element("dd", {}, count))
      )
    );

    // Marks in text order; a quotation nested in one already marked is shown in its details.
    const order = findings
      .map((finding, index) => ({ finding, index }))
      .filter(({ finding }) => finding.verdict !== "too_short")
      .sort((a, b) => a.finding.start - b.finding.start || b.finding.end - a.finding.end);
    const nodes = [];
    let at = 0;
    for (const { finding, index } of order) {
      if (finding.start < at) continue;
      nodes.push(text.slice(at, finding.start));
      const label =
        `${VERDICTS[finding.verdict]}` +
        (finding.verdict === "misquoted" ? ` (${finding.severity} severity)` : "") +
        (finding.quote ? `, ${CREDITS[finding.attribution.verdict]}` : "") +
        ": " + finding.text;
      const mark = element(
        "mark",
        {
          class: `finding v-${finding.verdict} sev-${finding.severity}`,
          tabindex: "0",
          role: "button",
          "aria-label": label,
          "data-index": String(index),
          "data-verdict": finding.verdict,
          "data-attribution": finding.attribution.verdict,
        },
        text.slice(finding.start, finding.end)
      );
      nodes.push(mark);
      if (finding.attribution.verdict === "missing" || finding.attribution.verdict === "misattributed") {
        nodes.push(element("span", { class: "credit-flag", "aria-hidden": "true" }, "credit?"));
      }
      at = finding.end;
    }
    nodes.push(text.slice(at));
    marked.replaceChildren(...nodes);
    result.hidden = false;
  }

  marked.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.finding");
    if (mark) open(mark);
  });
  marked.addEventListener("keydown", (event) => {
    const mark = event.target.closest("mark.finding");
    if (mark && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      open(mark);
    }
  });
  closeDetail.addEventListener("click", hideDetail);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !detail.hidden) hideDetail();
  });

  function hideDetail() {
    detail.hidden = true;
    for (const selected of marked.querySelectorAll("mark.selected")) selected.classList.remove("selected");
    if (lastMark && document.body.contains(lastMark)) lastMark.focus();
    lastMark = null;
  }

  function open(mark) {
    for (const selected of marked.querySelectorAll("mark.selected")) selected.classList.remove("selected");
    mark.classList.add("selected");
    lastMark = mark;
    const finding = findings[Number(mark.dataset.index)];
    detailBody.replaceChildren(...describe(finding));
    detail.hidden = false;
    detail.focus();
  }

  function describe(finding) {
    const parts = [];
    const verdict = VERDICTS[finding.verdict] +
      (finding.verdict === "misquoted" ? `, ${finding.severity} severity` : "");
    parts.push(element("p", { class: "verdict", "data-verdict": finding.verdict }, element("strong", {}, verdict)));
    if (finding.reasons.length) parts.push(element("p", { class: "reasons" }, "Why: " + finding.reasons.join("; ") + "."));
    if (!finding.quote) {
      parts.push(element("p", {}, "The register holds no quotation close to these words."));
      parts.push(element("p", {}, element("q", {}, finding.text)));
      return parts;
    }
    const [registered, submitted] = sides(finding.edits);
    parts.push(element("h4", {}, "Registered words"));
    parts.push(element("p", { class: "words registered" }, ...registered));
    parts.push(element("h4", {}, "Words in the article"));
    parts.push(element("p", { class: "words submitted" }, ...submitted));
    const quote = finding.quote;
    const facts = element("dl", { class: "facts" });
    const fact = (term, value) => facts.append(element("dt", {}, term), element("dd", {}, value));
    fact("As registered", element("q", {}, quote.text));
    if (quote.speakers.length) fact("Speaker", quote.speakers.join(", "));
    if (quote.outlets.length) fact("Outlet", quote.outlets.join(", "));
    if (finding.attribution.expected.length) fact("Register credits", finding.attribution.expected.join(", "));
    const credit = finding.attribution;
    fact("The text credits", credit.credited
      ? credit.credited + (credit.resolved ? ` (that is, ${credit.resolved})` : "")
      : "no one");
    fact("Attribution", CREDITS[credit.verdict]);
    fact("Similarity", Math.round(finding.similarity * 100) + "%");
    if (quote.retracted) fact("Retracted", quote.retraction_reason || "yes");
    fact("Content hash", element("code", {}, quote.hash));
    parts.push(facts);
    return parts;
  }

  // The registered and the submitted words side by side: what one side lacks is marked.
  function sides(edits) {
    const registered = [];
    const submitted = [];
    const word = (list, node) => {
      if (list.length) list.push(" ");
      list.push(node);
    };
    for (const edit of edits) {
      switch (edit.op) {
        case "keep":
          word(registered, edit.registered);
          word(submitted, edit.submitted);
          break;
        case "replace":
          word(registered, element("del", { title: "changed in the article" }, edit.registered));
          word(submitted, element("ins", { title: "not in the register" }, edit.submitted));
          break;
        case "insert":
          word(submitted, element("ins", { title: "added in the article" }, edit.submitted));
          break;
        case "delete":
          word(registered, element("del", { title: "dropped without an ellipsis" }, edit.registered));
          break;
        case "elided":
          word(registered, element("span", { class: "elided", title: "left out with an ellipsis" }, `[${edit.registered}]`));
          word(submitted, "…");
          break;
        case "editorial":
          word(registered, element("span", { class: "editorial" }, edit.registered || "—"));
          word(submitted, element("span", { class: "editorial", title: "an editorial insertion" }, `[${edit.submitted}]`));
          break;
      }
    }
    return [registered, submitted];
  }
})();
