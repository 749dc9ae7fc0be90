/* Broadsheet search: loads the index that broadsheet/outputs/search.py writes and
   answers queries in the browser, so /search/ works on any static host.
   normalise and tokens fold words as search.py does when it builds the index: change
   them together (tests/theme/test_search_page.py checks that the two agree).
   Results are built with textContent only: index data is never parsed as HTML. */
(() => {
  "use strict";

  const DEBOUNCE_MS = 120;
  const MAX_SHOWN = 50; // a long list costs more to draw than it helps to read
  const SNIPPET_CHARS = 200;
  const FOLD = { "ß": "ss", "ς": "σ" };

  const form = document.querySelector("[data-search-index]");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  // The page's own words, in its language (search.html writes them from the theme's phrases).
  const TEXT = JSON.parse(form.dataset.searchText || "{}");
  const LANG = document.documentElement.lang || "en";
  const plural = new Intl.PluralRules(LANG);
  const number = new Intl.NumberFormat(LANG);
  function say(key, values = {}) {
    let phrase = TEXT[key] || "";
    if (typeof phrase === "object") phrase = phrase[plural.select(values.count)] || phrase.other;
    const shown = (name) => (typeof values[name] === "number" ? number.format(values[name]) : values[name]);
    return phrase.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? shown(name) : whole));
  }

  let WORD, WORD_START, SPAN, MARK;
  try {
    // Unicode property escapes are the one newer feature: built here so an old browser
    // gets a message instead of a syntax error.
    WORD = new RegExp("[\\p{L}\\p{N}]+", "gu");
    WORD_START = new RegExp("^[\\p{L}\\p{N}]", "u");
    SPAN = new RegExp("[\\p{L}\\p{N}\\p{M}]+", "gu"); // a word as written, accents and all
    MARK = new RegExp("\\p{M}", "gu");
  } catch (error) {
    status.textContent = `${say("noscript")} ${say("browse")}`;
    return;
  }

  // --- text -> terms: the same in search.py ---------------------------------------------

  const normalise = (text) =>
    text.toLowerCase().normalize("NFKD").replace(MARK, "").replace(/[ßς]/g, (c) => FOLD[c]);
  const tokens = (text) => normalise(text).match(WORD) || [];

  function parseQuery(text) {
    // the last word is a prefix while it is being typed; a space after it makes it whole
    const words = tokens(text);
    if (!words.length) return { whole: [], prefix: "" };
    if (WORD_START.test(normalise(text.slice(-1)))) return { whole: words.slice(0, -1), prefix: words[words.length - 1] };
    return { whole: words, prefix: "" };
  }

  // --- the index -------------------------------------------------------------------------

  function prepare(index) {
    return { docs: index.docs, terms: index.terms, sorted: Object.keys(index.terms).sort() };
  }

  function numbers(gaps) {
    const out = [];
    let total = 0;
    for (const gap of gaps) out.push((total += gap));
    return out;
  }

  function withPrefix(sorted, prefix) {
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < prefix) lo = mid + 1; else hi = mid;
    }
    const found = [];
    for (let i = lo; i < sorted.length && sorted[i].startsWith(prefix); i++) found.push(sorted[i]);
    return found;
  }

  function intersect(found, docs) {
    return found === null ? docs : new Set([...docs].filter((n) => found.has(n)));
  }

  function matches(index, query) {
    const { whole, prefix } = query;
    if (!whole.length && !prefix) return null; // nothing asked: nothing to say
    let found = null;
    for (const word of whole) found = intersect(found, new Set(numbers(index.terms[word] || [])));
    if (prefix) {
      const docs = new Set();
      for (const term of withPrefix(index.sorted, prefix)) for (const n of numbers(index.terms[term])) docs.add(n);
      found = intersect(found, docs);
    }
    const wanted = new Set(whole);
    const hit = (t) => wanted.has(t) || (prefix !== "" && t.startsWith(prefix));
    const inTitle = (n) => tokens(index.docs[n].title).filter(hit).length;
    const scored = [...found].map((n) => [n, inTitle(n)]);
    scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]); // title matches first, then newest first
    return { numbers: scored.map((pair) => pair[0]), hit };
  }

  // --- results -> DOM ----------------------------------------------------------------------

  function spans(text, hit) {
    // [start, end] of every written word whose normalised form matches the query
    const found = [];
    SPAN.lastIndex = 0;
    let m;
    while ((m = SPAN.exec(text))) if (tokens(m[0]).some(hit)) found.push([m.index, m.index + m[0].length]);
    return found;
  }

  function highlighted(text, hit) {
    const fragment = document.createDocumentFragment();
    let at = 0;
    for (const [start, end] of spans(text, hit)) {
      fragment.append(text.slice(at, start));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(start, end);
      fragment.append(mark);
      at = end;
    }
    fragment.append(text.slice(at));
    return fragment;
  }

  function snippet(text, hit) {
    // a window of the text that starts a little before the first match, cut at spaces
    if (text.length <= SNIPPET_CHARS) return text;
    const first = spans(text, hit)[0];
    let start = 0;
    if (first && first[1] > SNIPPET_CHARS) start = Math.min(first[0], text.indexOf(" ", first[0] - SNIPPET_CHARS / 3) + 1);
    let end = text.length;
    if (start + SNIPPET_CHARS < text.length) end = Math.max(text.lastIndexOf(" ", start + SNIPPET_CHARS), first ? first[1] : start + 1);
    return (start > 0 ? "… " : "") + text.slice(start, end) + (end < text.length ? " …" : "");
  }

  function element(tag, className, child) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (child !== undefined) node.append(child);
    return node;
  }

  // relative_urls: true names the index relative to this page, and the site may then be
  // served under any path, or none it was built for: a result's site path (base_url's
  // path, as the canonical link says) is taken from the site's root as this page reaches
  // it, the folder above search/.
  const canonical = document.querySelector("link[rel=canonical]");
  function href(url) {
    if (form.dataset.searchIndex.startsWith("/") || !canonical || !url.startsWith("/")) return url;
    const sitePath = new URL("../", canonical.href).pathname;
    if (!url.startsWith(sitePath)) return url;
    return new URL(url.slice(sitePath.length), new URL("../", location.href)).href;
  }

  function result(doc, hit) {
    const link = element("a", "", highlighted(doc.title, hit));
    link.href = href(doc.url);
    const time = element("time", "", doc.date);
    time.dateTime = doc.iso;
    const byline = element("p", "byline");
    if (doc.source) byline.append(element("span", "source", doc.source), " · ");
    byline.append(time);
    const item = element("li", "search-result");
    if (doc.lang) item.lang = doc.lang;
    item.append(element("h2", "story-title", link), byline, element("p", "search-snippet", highlighted(snippet(doc.text, hit), hit)));
    if (doc.story) item.append(storyLine(doc.story));
    return item;
  }

  function storyLine(story) {
    // a report of a story covered by several outlets: the story's page, with all of them
    const link = element("a", "", story.title);
    link.href = href(story.url);
    const line = element("p", "byline search-story", element("span", "kind", `${say("story")}:`));
    line.append(" ", link);
    return line;
  }

  function show(index, text) {
    const query = parseQuery(text);
    const found = matches(index, query);
    list.textContent = ""; // not replaceChildren(): older Safari lacks it
    if (!found) {
      status.textContent = "";
      return;
    }
    const total = found.numbers.length;
    for (const n of found.numbers.slice(0, MAX_SHOWN)) list.append(result(index.docs[n], found.hit));
    if (total === 0) status.textContent = say("none", { query: text.trim() });
    else if (total > MAX_SHOWN) status.textContent = say("more", { count: total, shown: MAX_SHOWN });
    else status.textContent = say("count", { count: total });
  }

  function remember(text) {
    // keep ?q= in the address bar, so a search can be bookmarked and shared
    const url = new URL(location.href);
    if (text.trim()) url.searchParams.set("q", text);
    else url.searchParams.delete("q");
    history.replaceState(null, "", url);
  }

  async function load() {
    const response = await fetch(new URL(form.dataset.searchIndex, location.href));
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return prepare(await response.json());
  }

  function start() {
    const initial = new URLSearchParams(location.search).get("q") || "";
    if (initial) input.value = initial;
    status.textContent = initial ? say("loading") : "";
    let index = null;
    let timer = 0;
    const run = () => {
      if (index) show(index, input.value);
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        remember(input.value);
        run();
      }, DEBOUNCE_MS);
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault(); // the answer is already on the page
      clearTimeout(timer);
      remember(input.value);
      run();
    });
    load().then(
      (loaded) => {
        index = loaded;
        run();
      },
      () => {
        status.textContent = `${say("failed")} ${say("browse")}`;
      }
    );
  }

  start();
})();
