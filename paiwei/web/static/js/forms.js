// Form helpers: the notice's 10-second countdown, 换一张 for the captcha, 获取验证码 with its
// 180-second wait, print, and focus on the error summary. Every page works without it
// except the SMS button; the server checks every rule again.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]');

  // The guardian notice: the agreement box opens when the countdown reaches zero.
  document.querySelectorAll("[data-countdown]").forEach((box) => {
    let left = parseInt(box.dataset.countdown, 10) || 0;
    const target = document.querySelector("[data-countdown-target]");
    const tick = () => {
      if (left <= 0) {
        box.textContent = "现在可以勾选“我已认真阅读并同意该条款”。";
        if (target) target.disabled = false;
        return;
      }
      const s = box.querySelector("[data-countdown-seconds]");
      if (s) s.textContent = String(left);
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  });

  // 换一张: a new captcha image and id; the old one is simply abandoned.
  document.querySelectorAll("[data-captcha]").forEach((box) => {
    const button = box.querySelector("[data-captcha-refresh]");
    const img = box.querySelector("[data-captcha-image]");
    const id = box.querySelector("[data-captcha-id]");
    const answer = box.querySelector("input[name=captcha_answer]");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const r = await fetch("/api/captchas", { method: "POST" });
        if (r.ok) {
          const c = await r.json();
          id.value = c.captcha_id;
          img.src = c.image_url;
          answer.value = "";
          answer.focus();
        }
      } finally {
        button.disabled = false;
      }
    });
  });

  // 获取验证码: posts to the API, then waits 180 seconds before it may be asked again.
  document.querySelectorAll("[data-sms-endpoint]").forEach((button) => {
    const status = button.closest(".field").querySelector("[data-sms-status]");
    const label = button.textContent;
    const wait = (seconds) => {
      button.disabled = true;
      const step = () => {
        if (seconds <= 0) { button.disabled = false; button.textContent = label; return; }
        button.textContent = `${seconds} 秒后可重新获取`;
        seconds -= 1;
        setTimeout(step, 1000);
      };
      step();
    };
    button.addEventListener("click", async () => {
      const body = {};
      if (button.dataset.smsMobile) body.mobile = document.getElementById(button.dataset.smsMobile).value.trim();
      if (button.dataset.smsLogin) body.login = document.getElementById(button.dataset.smsLogin).value.trim();
      if (button.dataset.smsPurpose) body.purpose = button.dataset.smsPurpose;
      const headers = { "content-type": "application/json" };
      if (csrf) headers["X-CSRF-Token"] = csrf.content;
      button.disabled = true;
      try {
        const r = await fetch(button.dataset.smsEndpoint, { method: "POST", headers, body: JSON.stringify(body) });
        const answer = await r.json().catch(() => ({}));
        if (r.ok) {
          status.classList.remove("error");
          status.textContent = answer.message || "短信验证码已发送";
          wait(180);
        } else {
          status.classList.add("error");
          status.textContent = answer.title || "获取验证码失败，请稍后再试";
          button.disabled = false;
        }
      } catch {
        status.classList.add("error");
        status.textContent = "网络错误，请稍后再试";
        button.disabled = false;
      }
    });
  });

  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));

  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
