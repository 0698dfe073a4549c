// What-if weights: re-rank the candidates in the browser without saving.
// The formula is scoring/ranking.py's weighted_total and ranked; keep the two in step.
(function () {
  "use strict";

  function weightedTotal(weights, scores) {
    // Σ weight × score ÷ Σ weight over the criteria that have data; null when none has.
    let numerator = 0;
    let denominator = 0;
    for (const [code, weight] of weights) {
      const score = scores[code];
      if (score === null || score === undefined || weight <= 0) continue;
      numerator += weight * score;
      denominator += weight;
    }
    return denominator ? numerator / denominator : null;
  }

  function rank(candidates, weights) {
    // Highest total first, ties by name; knocked out or empty candidates get no rank.
    const rows = candidates.map((c) => ({ id: c.id, name: c.name, knockedOut: c.knocked_out,
      total: weightedTotal(weights, c.scores) }));
    const eligible = rows.filter((r) => !r.knockedOut && r.total !== null);
    eligible.sort((a, b) => (b.total - a.total) ||
      a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || (a.id - b.id));
    const ranks = new Map(rows.map((r) => [r.id, null]));
    eligible.forEach((r, i) => ranks.set(r.id, i + 1));
    return rows.map((r) => ({ ...r, rank: ranks.get(r.id) }));
  }

  function leader(candidates, weights) {
    const first = rank(candidates, weights).find((r) => r.rank === 1);
    return first ? first.id : null;
  }

  function stability(data, weights) {
    const current = leader(data.candidates, weights);
    if (current === null) return "No candidate is ranked yet.";
    const names = new Map(data.candidates.map((c) => [c.id, c.name]));
    const flips = [];
    for (const c of data.criteria) {
      for (const delta of [-10, 10]) {
        const moved = new Map(weights);
        moved.set(c.code, Math.max(0, Math.min(100, moved.get(c.code) + delta)));
        const other = leader(data.candidates, moved);
        if (other !== current) flips.push(`${c.name} ${delta > 0 ? "+" : "-"}${Math.abs(delta)} → ${names.get(other) || "nobody"}`);
      }
    }
    if (!flips.length) return `Stable: ${names.get(current)} stays first if any single weight moves by ±10 points.`;
    return `Sensitive: the leader changes if ${flips.join("; ")}.`;
  }

  window.cmoselectScoring = { weightedTotal, rank, stability };

  function ordinal(n) {
    const tail = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
    return `${n}${tail}`;
  }

  function explainLive(saved, r, count, changed) {
    // Only the head of the server's sentence depends on the weights: say the what-if rank and total.
    if (!changed || r.knockedOut) return saved;
    const rest = saved.replace(/^(Ranked \S+ of \d+ with [\d.]+|Not ranked: [^:.]*)/, "");
    const head = r.total === null ? "Not ranked: no criterion has data yet" :
      r.rank === null ? `Not ranked with ${r.total.toFixed(1)}` :
        `Ranked ${ordinal(r.rank)} of ${count} with ${r.total.toFixed(1)}`;
    return `What if: ${head}${rest}`;
  }

  window.cmoselectScoring.explainLive = explainLive;

  function readData() {
    const node = document.getElementById("what-if-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  function currentWeights(data) {
    const weights = new Map();
    for (const c of data.criteria) {
      const input = document.querySelector(`input[data-code="${c.code}"]`);
      weights.set(c.code, input ? Number(input.value) : c.weight);
    }
    return weights;
  }

  function apply() {
    const data = readData();
    const table = document.getElementById("score-table");
    if (!data || !table) return;
    const weights = currentWeights(data);
    const tbody = table.querySelector("tbody");
    const ranked = rank(data.candidates, weights);
    ranked.sort((a, b) => ((a.rank === null) - (b.rank === null)) || ((a.rank || 0) - (b.rank || 0)) ||
      a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    const changed = data.criteria.some((c) => weights.get(c.code) !== c.weight);
    for (const r of ranked) {
      const row = tbody.querySelector(`tr[data-candidate="${r.id}"]`);
      if (!row) continue;
      if (r.rank !== null) row.querySelector("[data-rank]").textContent = r.rank;
      row.querySelector("[data-total]").textContent = r.total === null ? "—" : r.total.toFixed(1);
      const explanation = row.querySelector("[data-explanation]");
      if (explanation) {
        if (explanation.dataset.saved === undefined) explanation.dataset.saved = explanation.textContent;
        explanation.textContent = explainLive(explanation.dataset.saved, r, data.candidates.length, changed);
      }
      tbody.appendChild(row);
    }
    let sum = 0;
    for (const [code, weight] of weights) {
      sum += weight;
      const out = document.getElementById(`out-${code}`);
      if (out) out.textContent = weight;
      const label = document.querySelector(`[data-weight-label="${code}"]`);
      if (label) label.textContent = `${weight}%`;
    }
    const sumNode = document.getElementById("weight-sum");
    if (sumNode) {
      sumNode.textContent = sum === 100 ? "Weights add up to 100." :
        `Weights add up to ${sum}: the ranking uses them as proportions; saving needs exactly 100.`;
    }
    const save = document.getElementById("save-weights");
    if (save) save.disabled = sum !== 100;
    const note = document.getElementById("stability");
    if (note) note.textContent = stability(data, weights);
  }

  function reset() {
    const data = readData();
    if (!data) return;
    for (const c of data.criteria) {
      const input = document.querySelector(`input[data-code="${c.code}"]`);
      if (input) input.value = c.weight;
    }
    apply();
  }

  document.addEventListener("input", (event) => {
    if (event.target.matches("#weights-form input[type=range]")) apply();
  });
  document.addEventListener("click", (event) => {
    if (event.target.id === "reset-weights") reset();
  });
  document.addEventListener("htmx:afterSwap", apply);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", apply);
  else apply();
})();
