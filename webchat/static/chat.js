// Web chat for the citizen-services assistant: a session from POST /api/session
// once per tab, then every message to POST /api/chat with it.
'use strict';
(() => {
  const BUSY_TEXT = 'Dạ, hệ thống đang bận, anh/chị vui lòng thử lại sau ít phút.';
  const TIMEOUT_MS = 45000;
  const SESSION_KEY = 'tthc-session';
  const URL_RE = /https:\/\/[^\s<>"]+/g;
  const POLL_MS = 4000; // how often the page asks for what a person (staff) said

  const log = document.getElementById('log');
  const form = document.getElementById('composer');
  const input = document.getElementById('input');
  const sendButton = document.getElementById('send');
  const largeButton = document.getElementById('large-text');
  const endButton = document.getElementById('end');
  let busy = false;
  let pending = null; // AbortController of the message being answered
  let conversation = 0; // "Kết thúc trò chuyện" moves on: late answers of an ended conversation are dropped

  // Web storage can throw (private mode, disabled storage): degrade silently.
  function storage(area) {
    return {
      get(key) { try { return area().getItem(key); } catch { return null; } },
      set(key, value) { try { area().setItem(key, value); } catch { /* ignore */ } },
      remove(key) { try { area().removeItem(key); } catch { /* ignore */ } },
    };
  }
  const prefs = storage(() => localStorage); // the large-text choice, kept across visits
  const tab = storage(() => sessionStorage);

  // The session token lives as long as the tab (a reload keeps the conversation),
  // so the next person at a shared computer starts afresh; memory holds it when
  // storage is refused.
  let session = tab.get(SESSION_KEY);
  function keepSession(token) {
    session = token;
    if (token) tab.set(SESSION_KEY, token);
    else tab.remove(SESSION_KEY);
  }

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
    const msg = el('div', `msg bot ${extraClass}`.trim(), extraClass === 'staff' ? 'msg-staff' : 'msg-bot');
    if (extraClass === 'staff') {
      const who = el('div', 'who');
      who.textContent = 'Cán bộ trả lời:';
      msg.append(who);
    }
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

  // POSTs JSON; the status and the parsed body (null when it is not JSON).
  async function call(path, payload, signal) {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
      signal,
    });
    let body = null;
    try { body = await response.json(); } catch { /* not JSON */ }
    return { status: response.status, body };
  }

  // What to tell the citizen when a request fails: the server's own words for
  // "too fast" (429), the busy text otherwise (other reasons are for developers).
  function failure(answer) {
    const said = answer.body && typeof answer.body.error === 'string' ? answer.body.error : '';
    return { error: answer.status === 429 && said ? said : BUSY_TEXT };
  }

  async function newSession(signal) {
    const answer = await call('/api/session', {}, signal);
    if (answer.status !== 200 || !answer.body || typeof answer.body.session !== 'string') return failure(answer);
    keepSession(answer.body.session);
    return {};
  }

  // The replies to `message`, or { error } with the text to show.
  async function post(message, signal) {
    try {
      // A refused session (expired, or signed by a key the server no longer has) is replaced once.
      for (let attempt = 0; attempt < 2; attempt += 1) {
        if (!session) {
          const made = await newSession(signal);
          if (made.error) return made;
        }
        const answer = await call('/api/chat', { session, message }, signal);
        if (answer.status === 401) {
          keepSession(null);
          continue;
        }
        return answer.status === 200 && Array.isArray(answer.body) ? { replies: answer.body } : failure(answer);
      }
      return { error: BUSY_TEXT };
    } catch {
      return { error: BUSY_TEXT }; // network error or timeout
    }
  }

  // Sends `message`; shows `shown` as the user's bubble unless it is null.
  // `via` is 'input' or 'buttons' for what the citizen used (none for automatic messages).
  async function send(message, shown, { via, onError } = {}) {
    if (busy) return;
    busy = true;
    const current = conversation;
    const controller = new AbortController();
    pending = controller;
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    if (shown) addUser(shown);
    const typing = el('div', 'msg bot typing', 'typing');
    typing.textContent = 'Đang trả lời…';
    log.append(typing);
    log.setAttribute('aria-busy', 'true');
    reveal();

    const result = await post(message, controller.signal);
    clearTimeout(timer);
    if (current !== conversation) return; // ended meanwhile: the page has moved on

    pending = null;
    typing.remove();
    let added;
    if (result.replies) {
      added = result.replies.filter((r) => r && typeof r === 'object').map((r) => addBot(r)).filter(Boolean);
    } else {
      added = [addBot({ text: result.error }, 'error')];
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

  // A person who took the conversation answers through the relay, not in reply
  // to a message: the page asks for such messages every few seconds.
  let heardUntil = 0; // Rasa's timestamp of the last staff message shown
  async function poll() {
    const current = conversation;
    if (session) {
      try {
        const answer = await call('/api/updates', { session, after: heardUntil });
        const body = answer.body;
        if (current === conversation && answer.status === 200 && body && Array.isArray(body.messages)) {
          const added = body.messages
            .filter((m) => m && typeof m === 'object')
            .map((m) => addBot(m, m.from === 'staff' ? 'staff' : ''))
            .filter(Boolean);
          if (typeof body.after === 'number') heardUntil = body.after;
          if (added.length) reveal(added[0]);
        }
      } catch { /* offline: ask again later */ }
    }
    setTimeout(poll, POLL_MS);
  }
  setTimeout(poll, POLL_MS);

  // For shared and kiosk computers: forget this conversation on this page and start a new one.
  function endConversation() {
    conversation += 1;
    heardUntil = 0;
    if (pending) pending.abort();
    pending = null;
    busy = false;
    keepSession(null);
    log.replaceChildren();
    log.setAttribute('aria-busy', 'false');
    input.value = '';
    input.focus({ preventScroll: true });
    send('/greet', null);
  }
  endButton.addEventListener('click', endConversation);

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
    prefs.set('tthc-large-text', on ? '1' : '0');
  }
  setLarge(prefs.get('tthc-large-text') === '1');
  largeButton.addEventListener('click', () => {
    setLarge(largeButton.getAttribute('aria-pressed') !== 'true');
    reveal(); // the text reflowed: show the latest messages again
  });

  // First message: a topic code from the URL (e.g. a QR code), else the greeting;
  // either asks for the tab's session first when it has none.
  const topic = new URLSearchParams(location.search).get('topic');
  if (topic && /^[A-Za-z0-9]{1,32}$/.test(topic)) {
    const code = `#${topic.toUpperCase()}`;
    send(code, code);
  } else {
    send('/greet', null);
  }
})();
