// Formatting a message the way a Telegram app does: from its text and entities (what Telegram
// parsed out of the bot's HTML), never from the bot's HTML itself. Offsets count UTF-16 code
// units, which is what JavaScript strings index by.
"use strict";

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

function safeUrl(url) {
  return /^(https?:|tg:|mailto:)/i.test(url) ? url : null;
}

function wrapEntity(entity, inner, plain) {
  switch (entity.type) {
    case "bold": return `<b>${inner}</b>`;
    case "italic": return `<i>${inner}</i>`;
    case "underline": return `<u>${inner}</u>`;
    case "strikethrough": return `<s>${inner}</s>`;
    case "spoiler": return `<span class="spoiler" title="Spoiler: tap to show">${inner}</span>`;
    case "code": return `<code>${inner}</code>`;
    case "pre": return `<pre>${inner}</pre>`;
    case "blockquote": return `<blockquote>${inner}</blockquote>`;
    case "expandable_blockquote":
      return `<blockquote class="expandable">${inner}</blockquote>`;
    case "bot_command":
      return `<a href="#" class="command" data-command="${escapeHtml(plain)}">${inner}</a>`;
    case "url": {
      const href = safeUrl(/^[a-z]+:/i.test(plain) ? plain : `https://${plain}`);
      return href ? `<a href="${escapeHtml(href)}" class="link">${inner}</a>` : inner;
    }
    case "text_link": {
      const href = safeUrl(entity.url || "");
      return href ? `<a href="${escapeHtml(href)}" class="link">${inner}</a>` : inner;
    }
    case "email": return `<a href="mailto:${escapeHtml(plain)}" class="link">${inner}</a>`;
    case "mention": case "text_mention": case "hashtag": case "cashtag":
      return `<span class="mention">${inner}</span>`;
    default: return inner;
  }
}

// Entities nest (Telegram never sends overlapping ones that do not); each one wraps the
// entities that start inside it.
function formatEntities(text, entities) {
  const sorted = (entities || []).slice().sort(
    (a, b) => a.offset - b.offset || b.length - a.length);
  function build(start, end, list) {
    let html = "";
    let position = start;
    let index = 0;
    while (index < list.length) {
      const entity = list[index];
      const entityEnd = Math.min(entity.offset + entity.length, end);
      const inside = [];
      let next = index + 1;
      while (next < list.length && list[next].offset < entityEnd) {
        inside.push(list[next]);
        next += 1;
      }
      html += escapeHtml(text.slice(position, entity.offset));
      html += wrapEntity(entity, build(entity.offset, entityEnd, inside),
        text.slice(entity.offset, entityEnd));
      position = entityEnd;
      index = next;
    }
    return html + escapeHtml(text.slice(position, end));
  }
  return build(0, text.length, sorted);
}

window.formatEntities = formatEntities;
window.escapeHtml = escapeHtml;
window.safeUrl = safeUrl;
