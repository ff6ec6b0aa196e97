// userservice admin console: the few things a server-rendered page cannot do.
// No inline script anywhere (the CSP forbids it); everything hooks on data-*.
"use strict";

// Forms with data-confirm ask first.
document.addEventListener("submit", (ev) => {
  const msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

// A creation form gets an Idempotency-Key once per page load, so a double
// submit creates one user.
for (const el of document.querySelectorAll('input[data-fill="uuid"]')) {
  if (!el.value && window.crypto && crypto.randomUUID) el.value = crypto.randomUUID();
}

// The CSV drop zone: a dropped file goes into the file input; the header row
// fills the mapping's suggestions.
for (const zone of document.querySelectorAll("[data-dropzone]")) {
  const input = zone.querySelector('input[type="file"]');
  const hint = zone.querySelector(".hint");
  const show = () => {
    const f = input.files && input.files[0];
    if (!f) return;
    hint.textContent = "Selected: " + f.name + " (" + f.size + " bytes)";
    f.slice(0, 64 * 1024).text().then((text) => {
      const first = text.replace(/^\uFEFF/, "").split(/\r?\n/)[0] || "";
      const list = document.getElementById("headers");
      if (!list) return;
      list.replaceChildren();
      for (const name of first.split(",")) {
        const opt = document.createElement("option");
        opt.value = name.replace(/^"|"$/g, "").trim();
        list.appendChild(opt);
      }
    });
  };
  input.addEventListener("change", show);
  zone.addEventListener("dragover", (ev) => { ev.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("over");
    if (ev.dataTransfer && ev.dataTransfer.files.length) {
      input.files = ev.dataTransfer.files;
      show();
    }
  });
}

// An import job's counts update while it runs; when it ends the page reloads
// once to show the failures table.
const job = document.getElementById("job");
if (job && job.dataset.finished !== "true") {
  const set = (name, value) => {
    for (const el of job.querySelectorAll('[data-count="' + name + '"]')) {
      if (el.tagName === "PROGRESS") el.value = value; else el.textContent = value;
    }
  };
  const poll = () => {
    fetch(job.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((j) => {
        for (const k of ["status", "processed", "created", "updated", "unchanged", "skipped", "rejected", "parked", "progress"]) set(k, j[k]);
        set("total", j.total === null ? "?" : j.total);
        const done = ["completed", "completed_with_errors", "failed"].includes(j.status);
        if (done) window.location.reload(); else setTimeout(poll, 700);
      })
      .catch(() => setTimeout(poll, 3000));
  };
  setTimeout(poll, 500);
}
