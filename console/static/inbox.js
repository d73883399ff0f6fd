// The staff inbox: reload the list or a conversation's history every few
// seconds, insert a canned reply or a card's answer into the reply box.
'use strict';
(() => {
  const REFRESH_MS = 4000;

  for (const box of document.querySelectorAll('[data-refresh]')) {
    const refresh = async () => {
      try {
        const response = await fetch(box.dataset.refresh, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
        if (response.ok) {
          const html = await response.text();
          const fresh = new DOMParser().parseFromString(html, 'text/html').body;
          if (box.innerHTML.trim() !== fresh.innerHTML.trim()) box.replaceChildren(...fresh.childNodes);
        }
      } catch { /* offline: try again later */ }
      setTimeout(refresh, REFRESH_MS);
    };
    setTimeout(refresh, REFRESH_MS);
  }

  function insert(targetId, text) {
    const target = document.getElementById(targetId);
    if (!target || !text) return;
    target.value = target.value ? `${target.value}\n${text}` : text;
    target.focus();
  }

  const canned = document.getElementById('canned');
  if (canned) {
    canned.addEventListener('change', () => {
      insert(canned.dataset.insertInto, canned.value);
      canned.value = '';
    });
  }

  const cardButton = document.getElementById('insert-card');
  if (cardButton) {
    const status = document.getElementById('card-status');
    cardButton.addEventListener('click', async () => {
      const name = document.getElementById('card-name').value.trim();
      if (!name) return;
      const response = await fetch(`/inbox/card-answer?name=${encodeURIComponent(name)}`, {
        headers: { Accept: 'application/json' }, credentials: 'same-origin',
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok && typeof body.text === 'string') {
        insert(cardButton.dataset.insertInto, body.text);
        status.textContent = 'Đã chèn câu trả lời của thẻ.';
      } else {
        status.textContent = 'Không tìm thấy đúng một thẻ thủ tục có tên này.';
      }
    });
  }
})();
