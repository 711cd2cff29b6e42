// The chat page: talks to /v1/converse, shows each turn's reply, intent, confidence and slots.
"use strict";
const RTL = new Set(["ar", "he", "fa", "ur"]);
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let session = null;

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("apikey").value || params.get("key");
  if (key) h["X-API-Key"] = key;
  return h;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function dir(locale) { return RTL.has(locale.split("-")[0]) ? "rtl" : "ltr"; }

async function loadModels() {
  const res = await fetch("/v1/models", { headers: headers() });
  const body = await res.json();
  if (!res.ok) { $("status").textContent = body.error ? body.error.message : res.statusText; return; }
  const locales = body.models[0].locales;
  const select = $("locale");
  select.innerHTML = "";
  for (const l of locales) select.append(new Option(l, l));
  const wanted = params.get("locale") || navigator.language;
  select.value = locales.includes(wanted) ? wanted : (locales.includes("en-US") ? "en-US" : locales[0]);
  $("status").textContent = `model: ${body.models[0].kind}, ${locales.length} locale(s)`;
}

function showTurn(text, locale, result, error) {
  const li = el("li", "turn");
  const user = el("div", "user", text);
  user.dir = dir(locale);
  li.append(user);
  if (error) {
    li.append(el("div", "bot error", error));
  } else {
    const bot = el("div", "bot", result.reply);
    bot.dir = dir(locale);
    bot.lang = result.reply_locale;
    li.append(bot);
    const p = el("div", "parse");
    p.append(el("span", "intent", result.parse.intent));
    p.append(el("span", "confidence", (100 * result.parse.confidence).toFixed(0) + "%"));
    p.append(el("span", "action action-" + result.action, result.action));
    for (const s of result.parse.slots) p.append(el("span", "slot", `${s.name}: ${s.value}`));
    li.append(p);
  }
  $("log").append(li);
  li.scrollIntoView({ block: "end" });
}

async function send(ev) {
  ev.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  const locale = $("locale").value;
  $("text").value = "";
  $("send").disabled = true;
  try {
    const res = await fetch("/v1/converse", {
      method: "POST", headers: headers(),
      body: JSON.stringify({ text, locale, session_id: session,
                             timezone: Intl.DateTimeFormat().resolvedOptions().timeZone }),
    });
    const body = await res.json();
    if (!res.ok) { showTurn(text, locale, null, body.error ? body.error.message : res.statusText); return; }
    session = body.session_id;
    showTurn(text, locale, body, null);
  } catch (e) {
    showTurn(text, locale, null, String(e));
  } finally {
    $("send").disabled = false;
    $("text").focus();
  }
}

$("ask").addEventListener("submit", send);
$("reset").addEventListener("click", () => { session = null; $("log").innerHTML = ""; });
$("locale").addEventListener("change", () => { document.documentElement.lang = $("locale").value; });
$("apikey").addEventListener("change", loadModels);
loadModels();
