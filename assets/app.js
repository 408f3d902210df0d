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
});
