// crewsync dashboard: the only script, an enhancement. Every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Step 3/3: one box ticks or clears every tickable row on this page.
  const all = document.getElementById("tick-page");
  if (all) {
    const boxes = Array.from(document.querySelectorAll("input.tick"));
    all.hidden = boxes.length === 0;
    all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
    all.addEventListener("change", () => boxes.forEach((b) => { b.checked = all.checked; }));
  }

  // The fetch (step 1/3): the counts grow from the server's events; at the end the page
  // reloads into step 2 (or says why the fetch failed). Without scripts the page reloads
  // itself every second instead (its <noscript> refresh); without events this script does.
  const progress = document.getElementById("progress");
  if (progress && progress.dataset.events) {
    if (!window.EventSource) {
      setTimeout(() => window.location.reload(), 1000);
      return;
    }
    const events = new EventSource(progress.dataset.events);
    events.addEventListener("progress", (e) => {
      progress.innerHTML = e.data;
    });
    events.addEventListener("end", () => {
      events.close();
      window.location.reload();
    });
    events.addEventListener("error", () => {
      if (events.readyState === EventSource.CLOSED) {
        setTimeout(() => window.location.reload(), 1000);
      }
    });
  }

  // The live run: each employee's outcome is added as it is written, from the server's
  // events; at the end the page reloads into the result. Without scripts the page reloads
  // itself every second instead (its <noscript> refresh); without events this script does.
  const live = document.getElementById("live");
  if (live) {
    const reload = () => setTimeout(() => window.location.reload(), 1000);
    if (!window.EventSource) {
      reload();
      return;
    }
    const rows = live.querySelector("tbody");
    const done = document.getElementById("done");
    const note = document.getElementById("note");
    const events = new EventSource(`${live.dataset.events}?from=${rows.rows.length}`);
    events.addEventListener("outcome", (e) => {
      rows.insertAdjacentHTML("beforeend", e.data);
      if (done) done.textContent = e.lastEventId;
    });
    events.addEventListener("note", (e) => {
      if (note) {
        note.textContent = e.data;
        note.hidden = false;
      }
    });
    events.addEventListener("end", () => {
      events.close();
      window.location.reload();
    });
    // A connection that failed for good (not one the browser retries): reload as before.
    events.addEventListener("error", () => {
      if (events.readyState === EventSource.CLOSED) reload();
    });
  }
});
