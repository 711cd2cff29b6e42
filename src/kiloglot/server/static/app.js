// The chat page: talks to /v1/converse, shows each turn's reply, intent, confidence and slots, and what
// fires for the session (alarms, timers, reminders) as it fires. When the server hears and speaks
// (/v1/models lists a recogniser), a microphone button records a request (MediaRecorder), sends it to
// /v1/converse/audio, shows the transcript as the user's turn and plays the spoken reply; what fires
// is spoken too (/v1/tts).
// The API key lives in sessionStorage (typed into the page, never read from or put in a URL); the
// conversation (session id and shown turns) survives a reload of the tab.
"use strict";
const RTL = new Set(["ar", "he", "fa", "ur"]);
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
if (params.has("key")) {  // a key in a URL ends up in history, logs and bookmarks: never read it, drop it
  params.delete("key");
  history.replaceState(null, "", location.pathname + (params.toString() ? "?" + params : "") + location.hash);
}
const saved = JSON.parse(sessionStorage.getItem("kiloglot") || "{}");
let session = saved.session || null;
let turns = saved.turns || [];          // [{kind: "turn"|"note", ...}] as shown, to redraw after a reload
let lastNote = saved.lastNote || 0;     // the last notification id shown
let words = {};                          // the page's own words in the chosen language
let listening = null;                    // AbortController of the open event stream
let voice = { asr: false, tts: false };  // what the server can do with speech
let recorder = null;                     // the MediaRecorder while the microphone is on

function save() {
  sessionStorage.setItem("kiloglot", JSON.stringify({ session, turns: turns.slice(-200), lastNote, locale: saved.locale }));
}

function headers(json) {
  const h = json ? { "Content-Type": "application/json" } : {};
  const key = sessionStorage.getItem("kiloglot-key");
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

async function localize(locale) {
  document.documentElement.lang = locale;
  document.documentElement.dir = dir(locale);
  try {
    const res = await fetch("/static/page/" + encodeURIComponent(locale));
    if (!res.ok) return;
    words = await res.json();
  } catch (e) { return; }
  for (const node of document.querySelectorAll("[data-word]")) node.textContent = words[node.dataset.word] || node.textContent;
  for (const node of document.querySelectorAll("[data-placeholder]")) node.placeholder = words[node.dataset.placeholder] || node.placeholder;
  for (const node of document.querySelectorAll("[data-title]")) node.title = words[node.dataset.title] || node.title;
  showStatus();
}

let model = null;
function showStatus() {
  if (!model) return;
  const template = words.status_model || "model: {kind}, {count} locale(s)";
  $("status").textContent = template.replace("{kind}", model.kind).replace("{count}", model.locales.length);
}

async function loadModels() {
  const res = await fetch("/v1/models", { headers: headers(false) });
  const body = await res.json();
  if (!res.ok) { $("status").textContent = body.error ? body.error.message : res.statusText; return; }
  model = body.models[0];
  const speech = body.speech || {};
  voice = { asr: Boolean(speech.asr), tts: Boolean(speech.tts) };
  $("mic").hidden = !(voice.asr && navigator.mediaDevices && window.MediaRecorder);
  const select = $("locale");
  select.innerHTML = "";
  for (const l of model.locales) select.append(new Option(l, l));
  const wanted = saved.locale || params.get("locale") || navigator.language;
  const match = model.locales.find((l) => l.toLowerCase() === String(wanted).toLowerCase());
  select.value = match || (model.locales.includes("en-US") ? "en-US" : model.locales[0]);
  await localize(select.value);
  if (session) listen();
}

function draw(item) {
  const li = el("li", item.kind === "note" ? "turn note" : "turn");
  if (item.kind === "note") {
    const bot = el("div", "bot notification", item.message);
    bot.dir = dir(item.locale || "en");
    if (item.late) bot.append(el("span", "late", " " + (words.late || "late")));
    li.append(bot);
  } else {
    const user = el("div", item.spoken ? "user spoken" : "user", item.text);
    user.dir = dir(item.locale);
    li.append(user);
    if (item.error) {
      li.append(el("div", "bot error", item.error));
    } else {
      const bot = el("div", "bot", item.reply);
      bot.dir = dir(item.locale);
      bot.lang = item.reply_locale;
      if (item.audio) {  // the spoken reply, to play again (not kept across reloads: it is large)
        const player = el("audio", "reply-audio");
        player.controls = true;
        player.src = item.audio;
        bot.append(player);
      }
      li.append(bot);
      const p = el("div", "parse");
      p.append(el("span", "intent", item.intent));
      p.append(el("span", "confidence", (100 * item.confidence).toFixed(0) + "%"));
      p.append(el("span", "action action-" + item.action, item.action));
      for (const s of item.slots) p.append(el("span", "slot", `${s.name}: ${s.value}`));
      if (item.rewritten) p.append(el("span", "rewrite", "→ " + item.rewritten));
      if (item.turn_id) p.append(thumbs(item));
      li.append(p);
    }
  }
  $("log").append(li);
  li.scrollIntoView({ block: "end" });
}

// Thumbs up/down on an assistant turn: POST /v1/feedback; the rating shows as pressed and survives a reload.
// After a thumbs down, "what did you mean?" offers the model's intents: the rating then says which one, which
// self-learning turns into a meaning rewrite when several users agree.
function thumbs(item) {
  const box = el("span", "feedback");
  for (const [rating, face] of [["good", "👍"], ["bad", "👎"]]) {
    const b = el("button", "thumb thumb-" + rating + (item.rating === rating ? " pressed" : ""), face);
    b.type = "button";
    b.title = (rating === "good" ? words.feedback_good : words.feedback_bad) || rating;
    b.setAttribute("aria-pressed", String(item.rating === rating));
    b.addEventListener("click", () => rate(item, rating, box));
    box.append(b);
  }
  if (item.rating === "bad") box.append(meantPicker(item, box));
  return box;
}

function meantPicker(item, box) {
  const select = el("select", "meant");
  select.title = words.feedback_meant || "What did you mean?";
  select.append(new Option(select.title, ""));
  for (const intent of (model && model.intents) || []) select.append(new Option(intent, intent));
  select.value = item.meant || "";
  select.addEventListener("change", () => { if (select.value) rate(item, "bad", box, select.value); });
  return select;
}

async function rate(item, rating, box, intent) {
  const body = { turn_id: item.turn_id, rating };
  if (intent) body.intent = intent;
  try {
    const res = await fetch("/v1/feedback", { method: "POST", headers: headers(true), body: JSON.stringify(body) });
    if (!res.ok) { box.title = (await res.json()).error?.message || res.statusText; return; }
  } catch (e) { box.title = String(e); return; }
  item.rating = rating;
  item.meant = intent || undefined;
  const kept = turns.find((t) => t.turn_id === item.turn_id);
  if (kept) { kept.rating = rating; kept.meant = item.meant; }
  save();
  for (const b of box.querySelectorAll(".thumb")) {
    const on = b.classList.contains("thumb-" + rating);
    b.classList.toggle("pressed", on);
    b.setAttribute("aria-pressed", String(on));
  }
  const picker = box.querySelector(".meant");
  if (rating === "bad" && !picker) box.append(meantPicker(item, box));
  if (rating === "good" && picker) picker.remove();
}

function remember(item) {
  turns.push(item.audio ? { ...item, audio: undefined } : item);
  save();
  draw(item);
}

function play(src) {
  const audio = new Audio(src);
  audio.play().catch(() => {});  // a browser may refuse to play before the user has clicked: the player stays
}

async function speakNote(note) {
  if (!voice.tts) return;
  try {
    const res = await fetch("/v1/tts", { method: "POST", headers: headers(true),
                                         body: JSON.stringify({ text: note.message, locale: note.locale || $("locale").value }) });
    if (res.ok) play(URL.createObjectURL(await res.blob()));
  } catch (e) { /* the notification is shown either way */ }
}

// Server-Sent Events read with fetch (EventSource cannot send the API key header); reconnects from the
// last id shown, so nothing fires twice on the page and nothing is missed across a reload.
async function listen() {
  if (listening) listening.abort();
  const controller = new AbortController();
  listening = controller;
  const id = session;
  while (!controller.signal.aborted && id === session) {
    try {
      const res = await fetch(`/v1/sessions/${encodeURIComponent(id)}/events?after=${lastNote}`,
                              { headers: headers(false), signal: controller.signal });
      if (!res.ok) return;
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
          if (!data) continue;
          const note = JSON.parse(data);
          if (note.id <= lastNote) continue;
          lastNote = note.id;
          remember({ kind: "note", message: note.message, late: Boolean(note.late), locale: note.locale });
          speakNote(note);
        }
      }
    } catch (e) {
      if (controller.signal.aborted) return;
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
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
      method: "POST", headers: headers(true),
      body: JSON.stringify({ text, locale, session_id: session,
                             timezone: Intl.DateTimeFormat().resolvedOptions().timeZone }),
    });
    const body = await res.json();
    if (!res.ok) { remember({ kind: "turn", text, locale, error: body.error ? body.error.message : res.statusText }); return; }
    showTurn(body, text, locale, {});
  } catch (e) {
    remember({ kind: "turn", text, locale, error: String(e) });
  } finally {
    $("send").disabled = false;
    $("text").focus();
  }
}

function showTurn(body, text, locale, extra) {
  const fresh = session !== body.session_id;
  session = body.session_id;
  remember({ kind: "turn", text, locale, reply: body.reply, reply_locale: body.reply_locale,
             intent: body.parse.intent, confidence: body.parse.confidence, action: body.action,
             slots: body.parse.slots, turn_id: body.turn_id,
             rewritten: body.rewritten ? body.rewritten.to : undefined, ...extra });
  if (fresh) listen();
}

async function sendAudio(blob) {
  const locale = $("locale").value;
  const query = new URLSearchParams({ locale, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone });
  if (session) query.set("session_id", session);
  $("status").textContent = "…";
  try {
    const res = await fetch("/v1/converse/audio?" + query, {
      method: "POST", headers: { ...headers(false), "Content-Type": blob.type || "audio/webm" }, body: blob,
    });
    const body = await res.json();
    if (!res.ok) { remember({ kind: "turn", text: "(audio)", locale, spoken: true, error: body.error ? body.error.message : res.statusText }); return; }
    if (!body.turn) { remember({ kind: "turn", text: "(audio)", locale, spoken: true, error: body.note }); return; }
    const audio = body.reply_audio ? "data:audio/wav;base64," + body.reply_audio : undefined;
    showTurn({ ...body.turn, session_id: body.session_id }, body.transcript.text, body.transcript.locale || locale,
             { spoken: true, audio });
    if (audio) play(audio);
  } catch (e) {
    remember({ kind: "turn", text: "(audio)", locale, spoken: true, error: String(e) });
  } finally {
    showStatus();
  }
}

async function toggleMic() {
  if (recorder) { recorder.stop(); return; }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    $("status").textContent = words.no_microphone || "no microphone";
    return;
  }
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.addEventListener("dataavailable", (e) => { if (e.data.size) chunks.push(e.data); });
  recorder.addEventListener("stop", () => {
    stream.getTracks().forEach((t) => t.stop());
    const type = recorder.mimeType;
    recorder = null;
    $("mic").textContent = words.speak || "Speak";
    $("mic").setAttribute("aria-pressed", "false");
    sendAudio(new Blob(chunks, { type }));
  });
  recorder.start();
  $("mic").textContent = words.stop || "Stop";
  $("mic").setAttribute("aria-pressed", "true");
  $("status").textContent = words.listening || "listening…";
}

$("ask").addEventListener("submit", send);
$("mic").addEventListener("click", toggleMic);
$("reset").addEventListener("click", () => {
  if (listening) listening.abort();
  session = null; turns = []; lastNote = 0; save();
  $("log").innerHTML = "";
});
$("locale").addEventListener("change", () => {
  saved.locale = $("locale").value;
  save();
  localize(saved.locale);
});
$("apikey").value = sessionStorage.getItem("kiloglot-key") || "";
$("apikey").addEventListener("change", () => {
  sessionStorage.setItem("kiloglot-key", $("apikey").value);
  loadModels();
});
for (const item of turns) draw(item);
loadModels();
