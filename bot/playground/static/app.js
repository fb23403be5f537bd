// The playground page: one person at a time, their chats with the bot and the team's group.
// Everything shown is read from the local Bot API (/api/...); everything done is posted there
// and reaches the bot as the update Telegram would send. A server-sent event says "something
// changed"; the page then re-reads the open chat.
"use strict";

const $ = (selector) => document.querySelector(selector);
const state = {
  bot: null,
  people: [],
  personId: null,
  chats: [],
  chatId: null,
  chat: null,
  editing: null, // id of the own message being edited
  replyTo: null, // id of the message the next one answers (Telegram's "Reply")
  seenAnswers: new Map(), // person id -> highest callback answer index already shown
  loading: false,
  again: false,
};

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: body instanceof FormData ? {} : { "Content-Type": "application/json" },
    body: body instanceof FormData ? body : JSON.stringify(body),
  };
  const response = await fetch(path, options);
  if (!response.ok) {
    const text = await response.text();
    toast(text || `${response.status} ${response.statusText}`);
    throw new Error(text);
  }
  return response.json();
}

// --- reading --------------------------------------------------------------------------------

async function refresh() {
  // One read at a time; a change during a read asks for one more afterwards.
  if (state.loading) { state.again = true; return; }
  state.loading = true;
  try {
    do {
      state.again = false;
      await load();
    } while (state.again);
  } finally {
    state.loading = false;
  }
}

async function load() {
  const overview = await api(`/api/state?person=${state.personId ?? ""}`);
  state.bot = overview.bot;
  state.people = overview.people;
  if (!state.people.some((p) => p.id === state.personId)) {
    state.personId = state.people.length ? state.people[0].id : null;
    if (state.personId === null) return;
    return load();
  }
  state.chats = overview.chats || [];
  if (!state.chats.some((c) => c.id === state.chatId)) state.chatId = state.chats[0].id;
  renderPeople();
  renderChats();
  renderInternalErrors(overview.internal_errors);
  state.chat = await api(`/api/chat?person=${state.personId}&chat=${state.chatId}`);
  renderChat();
}

function renderPeople() {
  const select = $("#person");
  select.replaceChildren(...state.people.map((person) => {
    const option = document.createElement("option");
    option.value = person.id;
    const note = person.note ? ` (${person.note})` : "";
    option.textContent = `${person.name}${note} · ${person.language || "?"}`;
    option.selected = person.id === state.personId;
    return option;
  }));
}

function renderChats() {
  $("#chats").replaceChildren(...state.chats.map((chat) => {
    const tab = document.createElement("button");
    tab.type = "button";
    tab.className = "chat-tab" + (chat.id === state.chatId ? " active" : "");
    tab.dataset.chat = chat.id;
    tab.textContent = chat.type === "private" ? `🤖 ${chat.title}` : `👥 ${chat.title}`;
    tab.addEventListener("click", () => openChat(chat.id));
    return tab;
  }));
}

function renderInternalErrors(errors) {
  const box = $("#errors");
  box.hidden = !errors.length;
  box.textContent = errors.length ? `Local Bot API error: ${errors[errors.length - 1]}` : "";
}

function renderChat() {
  const { chat } = state;
  const isPrivate = chat.chat.type === "private";
  $("#chat-title").textContent = isPrivate ? state.bot.name : chat.chat.title;
  $("#chat-subtitle").textContent = isPrivate ? `@${state.bot.username} · bot` : "group · bot is a member";
  $("#chat-avatar").textContent = isPrivate ? "🤖" : "👥";
  const block = $("#block");
  block.hidden = !isPrivate;
  block.textContent = chat.blocked ? "Unblock" : "Block";
  $("#composer").hidden = chat.blocked;
  $("#unblock-bar").hidden = !chat.blocked;

  const box = $("#messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const items = [
    ...chat.messages.map((m) => ({ seq: m.seq, node: () => messageNode(m, isPrivate) })),
    ...chat.refusals.map((r) => ({ seq: r.seq, node: () => refusalNode(r) })),
  ].sort((a, b) => a.seq - b.seq);
  if (!items.length) {
    box.replaceChildren(emptyChatHint(isPrivate, chat.commands));
  } else {
    box.replaceChildren(...items.map((item) => item.node()));
  }
  if (atBottom || state.scrollToEnd) box.scrollTop = box.scrollHeight;
  state.scrollToEnd = false;
  renderReplyKeyboard(chat.reply_keyboard);
  renderCommands(chat.commands);
  showNewCallbackAnswers(chat.callback_answers);
}

// An empty chat offers a few of the bot's commands to tap (the playground's own help, not the
// bot's: Telegram shows a bot's description here before the first /start).
const SUGGESTED = {
  private: ["start", "progress", "digest", "export", "team"],
  group: ["compare", "progress", "heatmap", "ratings", "consensus"],
};

function emptyChatHint(isPrivate, commands) {
  const hint = document.createElement("div");
  hint.className = "empty-hint";
  const title = document.createElement("p");
  title.textContent = isPrivate
    ? "No messages yet. Tap a command, ☰ for all of them, or type."
    : "The team's group. Tap a command or type one.";
  const known = new Set(commands.map((command) => command.command));
  const suggested = SUGGESTED[isPrivate ? "private" : "group"]
    .filter((name) => name === "start" || known.has(name));
  const chips = document.createElement("div");
  for (const name of suggested) {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip";
    chip.textContent = `/${name}`;
    chip.addEventListener("click", () => sendText(`/${name}`));
    chips.append(chip);
  }
  hint.append(title, chips);
  return hint;
}

function messageNode(message, isPrivate) {
  if (message.service) {
    const node = document.createElement("div");
    node.className = "service";
    node.textContent = message.service;
    return node;
  }
  const row = document.createElement("div");
  row.className = "row " + (message.mine ? "out" : "in");
  row.dataset.message = message.id;
  const bubble = document.createElement("div");
  bubble.className = "bubble" + (message.from_bot ? " from-bot" : "");
  if (!isPrivate && !message.mine) {
    const sender = document.createElement("div");
    sender.className = "sender";
    sender.textContent = message.from_bot ? state.bot.name : message.sender;
    bubble.append(sender);
  }
  if (message.reply_to) {
    const quote = document.createElement("div");
    quote.className = "reply-to";
    quote.textContent = `${message.reply_to.sender}: ${message.reply_to.text}`;
    bubble.append(quote);
  }
  if (message.photo) {
    const img = document.createElement("img");
    img.className = "photo";
    img.src = message.photo;
    img.alt = "photo";
    img.addEventListener("click", () => window.open(message.photo, "_blank", "noopener"));
    bubble.append(img);
  }
  for (const kind of ["document", "audio", "video"]) {
    if (message[kind]) bubble.append(documentNode(message[kind]));
  }
  if (message.voice) {
    const voice = document.createElement("div");
    voice.className = "voice";
    voice.textContent = `🎤 Voice note · ${message.voice.duration ?? "?"} s`;
    bubble.append(voice);
  }
  if (message.sticker) {
    const sticker = document.createElement("div");
    sticker.className = "sticker";
    sticker.textContent = message.sticker;
    bubble.append(sticker);
  }
  if (message.poll) bubble.append(pollNode(message));
  if (message.text) {
    const text = document.createElement("div");
    text.className = "text";
    text.innerHTML = formatEntities(message.text, message.entities);
    bubble.append(text);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  const when = message.date ? new Date(message.date * 1000) : null;
  meta.textContent = (message.edited ? "edited " : "") +
    (when ? when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "");
  const reply = document.createElement("button");
  reply.type = "button";
  reply.className = "reply";
  reply.title = "Reply";
  reply.textContent = "↩️";
  reply.addEventListener("click", () => startReply(message));
  meta.prepend(reply);
  if (message.mine && message.editable) {
    const edit = document.createElement("button");
    edit.type = "button";
    edit.className = "edit";
    edit.title = "Edit";
    edit.textContent = "✏️";
    edit.addEventListener("click", () => startEditing(message));
    meta.prepend(edit);
  }
  bubble.append(meta);
  row.append(bubble);
  if (message.keyboard.length) row.append(keyboardNode(message));
  return row;
}

function documentNode(file) {
  const link = document.createElement("a");
  link.className = "document";
  link.href = file.url;
  link.download = file.name;
  const size = file.size > 1024 ? `${Math.round(file.size / 1024)} KB` : `${file.size} B`;
  link.textContent = `📄 ${file.name} · ${size}`;
  return link;
}

function pollNode(message) {
  const { poll } = message;
  const box = document.createElement("div");
  box.className = "poll";
  const title = document.createElement("div");
  title.className = "poll-question";
  title.textContent = poll.question;
  const kind = document.createElement("div");
  kind.className = "poll-kind";
  kind.textContent = (poll.anonymous ? "Anonymous poll" : "Poll") + (poll.closed ? " · closed" : "");
  box.append(title, kind);
  const voted = poll.mine.length > 0;
  poll.options.forEach((option, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "poll-option" + (poll.mine.includes(index) ? " chosen" : "");
    const share = poll.total ? Math.round((100 * poll.counts[index]) / poll.total) : 0;
    button.textContent = voted || poll.closed ? `${share}% ${option}` : option;
    button.disabled = poll.closed;
    button.addEventListener("click", () => act("/api/vote", {
      chat: state.chatId, message: message.id, options: [index],
    }));
    box.append(button);
  });
  const total = document.createElement("div");
  total.className = "poll-kind";
  total.textContent = `${poll.total} vote${poll.total === 1 ? "" : "s"}`;
  box.append(total);
  if (voted && !poll.closed) {
    const retract = document.createElement("button");
    retract.type = "button";
    retract.className = "poll-retract";
    retract.textContent = "Retract vote";
    retract.addEventListener("click", () => act("/api/vote", {
      chat: state.chatId, message: message.id, options: [],
    }));
    box.append(retract);
  }
  return box;
}

function keyboardNode(message) {
  const keyboard = document.createElement("div");
  keyboard.className = "inline-keyboard";
  for (const row of message.keyboard) {
    const line = document.createElement("div");
    line.className = "keyboard-row";
    for (const button of row) {
      const node = document.createElement("button");
      node.type = "button";
      node.className = "inline-button";
      node.textContent = button.text + (button.url ? " ↗" : "");
      node.addEventListener("click", () => pressButton(message, button));
      line.append(node);
    }
    keyboard.append(line);
  }
  return keyboard;
}

function refusalNode(refusal) {
  const node = document.createElement("div");
  node.className = "refusal";
  node.setAttribute("role", "alert");
  node.textContent =
    `⛔ Telegram refused ${refusal.method} (${refusal.error_code}): ${refusal.description}`;
  return node;
}

function renderReplyKeyboard(rows) {
  const box = $("#reply-keyboard");
  box.hidden = !rows;
  if (!rows) { box.replaceChildren(); return; }
  box.replaceChildren(...rows.map((row) => {
    const line = document.createElement("div");
    line.className = "keyboard-row";
    for (const text of row) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.addEventListener("click", () => sendText(text));
      line.append(button);
    }
    return line;
  }));
}

function renderCommands(commands) {
  const box = $("#commands");
  box.replaceChildren(...commands.map((command) => {
    const item = document.createElement("button");
    item.type = "button";
    item.className = "command-item";
    const name = document.createElement("b");
    name.textContent = `/${command.command}`;
    const description = document.createElement("span");
    description.textContent = command.description;
    item.append(name, description);
    item.addEventListener("click", () => { box.hidden = true; sendText(`/${command.command}`); });
    return item;
  }));
  $("#menu-button").hidden = !commands.length;
}

function showNewCallbackAnswers(answers) {
  const seen = state.seenAnswers.get(state.personId);
  const newest = answers.length ? answers[answers.length - 1].index : -1;
  if (seen === undefined) { state.seenAnswers.set(state.personId, newest); return; }
  for (const answer of answers) {
    if (answer.index <= seen) continue;
    // A callback answer's url (t.me/<bot>?start=...) opens as Telegram opens it for the presser.
    if (answer.url) openUrl(answer.url);
    else if (answer.alert) showAlert(answer.text);
    else toast(answer.text);
  }
  state.seenAnswers.set(state.personId, Math.max(seen, newest));
}

// --- acting ---------------------------------------------------------------------------------

async function act(path, body) {
  await api(path, { person: state.personId, ...body });
}

async function sendText(text) {
  state.scrollToEnd = true;
  const replyTo = state.replyTo;
  stopReply();
  await act("/api/send", { chat: state.chatId, text, reply_to: replyTo });
}

function startReply(message) {
  stopEditing();
  state.replyTo = message.id;
  const who = message.from_bot ? state.bot.name : message.sender;
  $("#replying-text").textContent = `↩️ Reply to ${who}: ${message.text.slice(0, 60)}`;
  $("#replying").hidden = false;
  $("#input").focus();
}

function stopReply() {
  state.replyTo = null;
  $("#replying").hidden = true;
}

async function submit() {
  const input = $("#input");
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  autosize();
  if (state.editing !== null) {
    const message = state.editing;
    stopEditing();
    await act("/api/edit", { chat: state.chatId, message, text });
  } else {
    await sendText(text);
  }
}

function startEditing(message) {
  state.editing = message.id;
  $("#editing").hidden = false;
  const input = $("#input");
  input.value = message.text;
  autosize();
  input.focus();
}

function stopEditing() {
  state.editing = null;
  $("#editing").hidden = true;
}

function startLink(url) {
  // Telegram opens t.me/<bot>?start=<payload> as the bot's chat and sends /start <payload>.
  const match = /^https?:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]*)/.exec(url);
  if (!match || !state.bot || match[1].toLowerCase() !== state.bot.username.toLowerCase()) {
    return false;
  }
  const privateChat = state.chats.find((chat) => chat.type === "private");
  state.chatId = privateChat.id;
  state.scrollToEnd = true;
  act("/api/start", { payload: match[2] }).then(refresh);
  return true;
}

function openUrl(url) {
  if (startLink(url)) return;
  const share = /^https?:\/\/t\.me\/share\/url\?url=([^&]+)/.exec(url);
  if (share && startLink(decodeURIComponent(share[1]))) return;
  const safe = safeUrl(url);
  if (safe) window.open(safe, "_blank", "noopener");
}

function pressButton(message, button) {
  if (button.callback_data !== undefined) {
    act("/api/press", { chat: state.chatId, message: message.id, data: button.callback_data });
  } else if (button.url) {
    openUrl(button.url);
  } else {
    toast("This kind of button is not imitated by the playground");
  }
}

async function upload(kind, file) {
  const form = new FormData();
  form.append("person", state.personId);
  form.append("chat", state.chatId);
  form.append("kind", kind);
  if (file) form.append("file", file, file.name);
  const caption = $("#input").value;
  if (caption.trim() && kind !== "voice") {
    form.append("caption", caption);
    $("#input").value = "";
  }
  state.scrollToEnd = true;
  await api("/api/upload", form);
}

function openChat(chatId) {
  state.chatId = chatId;
  state.scrollToEnd = true;
  stopEditing();
  stopReply();
  refresh();
}

// --- small pieces ---------------------------------------------------------------------------

let toastTimer = null;
function toast(text) {
  const box = $("#toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 3500);
}

function showAlert(text) {
  $("#alert-text").textContent = text;
  const dialog = $("#alert");
  if (!dialog.open) dialog.showModal();
}

function autosize() {
  const input = $("#input");
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

function listen() {
  const events = new EventSource("/api/events");
  events.addEventListener("change", () => refresh());
  events.onerror = () => { $("#chat-subtitle").textContent = "reconnecting…"; };
}

function wire() {
  $("#person").addEventListener("change", (event) => {
    state.personId = Number(event.target.value);
    state.chatId = null;
    stopEditing();
    stopReply();
    refresh();
  });
  $("#send").addEventListener("click", submit);
  $("#input").addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter starts a new line: as in Telegram's desktop and web apps.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  $("#input").addEventListener("input", autosize);
  $("#cancel-edit").addEventListener("click", () => { stopEditing(); $("#input").value = ""; });
  $("#cancel-reply").addEventListener("click", stopReply);
  $("#menu-button").addEventListener("click", () => { $("#commands").hidden = !$("#commands").hidden; });
  $("#attach").addEventListener("click", () => { $("#attach-menu").hidden = !$("#attach-menu").hidden; });
  $("#attach-menu").addEventListener("click", (event) => {
    const kind = event.target.dataset.kind;
    if (!kind) return;
    $("#attach-menu").hidden = true;
    $(kind === "photo" ? "#photo-input" : "#file-input").click();
  });
  $("#photo-input").addEventListener("change", (event) => {
    if (event.target.files[0]) upload("photo", event.target.files[0]);
    event.target.value = "";
  });
  $("#file-input").addEventListener("change", (event) => {
    if (event.target.files[0]) upload("document", event.target.files[0]);
    event.target.value = "";
  });
  $("#voice").addEventListener("click", () => upload("voice", null));
  $("#block").addEventListener("click", () => act("/api/block", { blocked: !state.chat.blocked }));
  $("#unblock").addEventListener("click", () => act("/api/block", { blocked: false }));
  $("#messages").addEventListener("click", (event) => {
    const target = event.target.closest("a, .spoiler");
    if (!target || target.classList.contains("document")) return; // files download as they are
    if (target.classList.contains("spoiler")) { target.classList.add("revealed"); return; }
    event.preventDefault();
    if (target.classList.contains("command")) {
      const command = target.dataset.command.split("@")[0];
      sendText(command);
    } else {
      openUrl(target.getAttribute("href"));
    }
  });
  $("#add-person").addEventListener("click", () => $("#add-dialog").showModal());
  $("#add-cancel").addEventListener("click", () => $("#add-dialog").close());
  $("#add-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("#new-name").value.trim();
    if (!name) return;
    $("#add-dialog").close();
    $("#new-name").value = "";
    const added = await api("/api/people", { name, language: $("#new-language").value });
    state.personId = added.id;
    state.chatId = added.chat_id;
    refresh();
  });
}

wire();
listen();
refresh();
