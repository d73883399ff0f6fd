// Web chat for the citizen-services assistant: talks to POST /api/chat.
'use strict';
(() => {
  const BUSY_TEXT = 'Dạ, hệ thống đang bận, anh/chị vui lòng thử lại sau ít phút.';
  const TIMEOUT_MS = 45000;
  const SENDER_RE = /^[A-Za-z0-9_-]{8,64}$/; // what the server accepts
  const URL_RE = /https:\/\/[^\s<>"]+/g;

  const log = document.getElementById('log');
  const form = document.getElementById('composer');
  const input = document.getElementById('input');
  const sendButton = document.getElementById('send');
  const largeButton = document.getElementById('large-text');
  let busy = false;

  // localStorage can throw (private mode, disabled storage): degrade silently.
  const store = {
    get(key) { try { return localStorage.getItem(key); } catch { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch { /* ignore */ } },
  };

  function senderId() {
    let id = store.get('tthc-sender');
    if (!id || !SENDER_RE.test(id)) {
      // getRandomValues works on plain http too, unlike crypto.randomUUID.
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      store.set('tthc-sender', id);
    }
    return id;
  }
  const sender = senderId();

  function el(tag, className, testId) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (testId) node.dataset.testid = testId;
    return node;
  }

  // Text nodes only (no innerHTML); https:// URLs become links to a new tab.
  function appendText(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URL_RE)) {
      const url = match[0].replace(/[.,;:!?)\]}'"»]+$/, ''); // sentence punctuation is not part of the URL
      if (url.length <= 'https://'.length) continue;
      parent.append(text.slice(last, match.index));
      const a = document.createElement('a');
      a.href = url;
      a.textContent = url;
      a.target = '_blank';
      a.rel = 'noopener';
      a.setAttribute('aria-describedby', 'newtab-hint');
      parent.append(a);
      last = match.index + url.length;
    }
    parent.append(text.slice(last));
  }

  function safeImageUrl(raw) {
    try {
      const url = new URL(raw, location.href);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch { return null; }
  }

  function bubble(text) {
    const node = el('div', 'bubble');
    appendText(node, text);
    return node;
  }

  function addUser(text) {
    const msg = el('div', 'msg user', 'msg-user');
    msg.append(bubble(text));
    log.append(msg);
    return msg;
  }

  function addBot(reply, extraClass = '') {
    const msg = el('div', `msg bot ${extraClass}`.trim(), 'msg-bot');
    if (typeof reply.text === 'string' && reply.text.trim()) msg.append(bubble(reply.text));
    const src = typeof reply.image === 'string' && safeImageUrl(reply.image);
    if (src) {
      const img = el('img');
      img.src = src;
      img.alt = 'Hình ảnh đính kèm';
      img.addEventListener('error', () => img.remove(), { once: true });
      msg.append(img);
    }
    if (Array.isArray(reply.buttons)) {
      const group = buttonGroup(reply.buttons);
      if (group.childElementCount) msg.append(group);
    }
    if (!msg.childElementCount) return null;
    log.append(msg);
    return msg;
  }

  function buttonGroup(buttons) {
    const group = el('div', 'choices');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Lựa chọn');
    for (const b of buttons) {
      if (!b || typeof b.title !== 'string' || typeof b.payload !== 'string') continue;
      const button = el('button', 'choice', 'reply-button');
      button.type = 'button';
      button.textContent = b.title;
      button.addEventListener('click', () => {
        if (busy) return;
        setDisabled(group, true);
        // The title is shown, the payload is sent; re-enable the group if sending fails.
        send(b.payload, b.title, { via: 'buttons', onError: () => setDisabled(group, false) });
      });
      group.append(button);
    }
    return group;
  }

  function setDisabled(group, disabled) {
    for (const button of group.querySelectorAll('button')) button.disabled = disabled;
  }

  // Scroll so the first new message starts in view (long answers are read from the top).
  function reveal(node) {
    const bottom = log.scrollHeight - log.clientHeight;
    log.scrollTop = node ? Math.min(node.offsetTop - 12, bottom) : bottom;
  }

  async function post(message) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      const response = await fetch('/api/chat', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sender, message }),
        signal: controller.signal,
      });
      if (!response.ok) return null;
      const replies = await response.json();
      return Array.isArray(replies) ? replies : null;
    } catch {
      return null; // network error, timeout or invalid JSON
    } finally {
      clearTimeout(timer);
    }
  }

  // Sends `message`; shows `shown` as the user's bubble unless it is null.
  // `via` is 'input' or 'buttons' for what the citizen used (none for automatic messages).
  async function send(message, shown, { via, onError } = {}) {
    if (busy) return;
    busy = true;
    if (shown) addUser(shown);
    const typing = el('div', 'msg bot typing', 'typing');
    typing.textContent = 'Đang trả lời…';
    log.append(typing);
    log.setAttribute('aria-busy', 'true');
    reveal();

    const replies = await post(message);

    typing.remove();
    let added;
    if (replies) {
      added = replies.filter((r) => r && typeof r === 'object').map((r) => addBot(r)).filter(Boolean);
    } else {
      added = [addBot({ text: BUSY_TEXT }, 'error')];
      if (onError) onError();
    }
    log.setAttribute('aria-busy', 'false');
    busy = false;
    reveal(added[0]);

    // Keyboard users of the reply buttons continue on the new buttons; typists stay in the input.
    if (via === 'buttons') {
      const next = added.map((m) => m.querySelector('.choice:not(:disabled)')).find(Boolean);
      (next || log).focus({ preventScroll: true });
    } else if (via === 'input') {
      input.focus({ preventScroll: true });
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return; // typed text stays in the input while waiting
    input.value = '';
    send(text, text, { via: 'input', onError: () => { if (!input.value) input.value = text; } });
  });
  // Tapping "Gửi" must not take focus from the input (keeps the phone keyboard open).
  sendButton.addEventListener('mousedown', (event) => event.preventDefault());

  function setLarge(on) {
    document.documentElement.classList.toggle('large', on);
    largeButton.setAttribute('aria-pressed', String(on));
    store.set('tthc-large-text', on ? '1' : '0');
  }
  setLarge(store.get('tthc-large-text') === '1');
  largeButton.addEventListener('click', () => {
    setLarge(largeButton.getAttribute('aria-pressed') !== 'true');
    reveal(); // the text reflowed: show the latest messages again
  });

  // First message: a topic code from the URL (e.g. a QR code), else the greeting.
  const topic = new URLSearchParams(location.search).get('topic');
  if (topic && /^[A-Za-z0-9]{1,32}$/.test(topic)) {
    const code = `#${topic.toUpperCase()}`;
    send(code, code);
  } else {
    send('/greet', null);
  }
})();
