/**
 * Draws the benchmark chart of the README from the benchmarks' own output:
 * bench/results/loopback.json (every echo server, one after the other),
 * bench/results/loopback_paired.json (each beside raw at the same time) and
 * bench/results/idle_memory.json, into bench/results/benchmarks.svg. It also
 * prints the README's table.
 *
 * Run (from the repository root), after the benchmarks:
 * `deno run --allow-read=bench/results --allow-write=bench/results bench/chart.ts`
 *
 * @module
 */

interface LoopbackSummary {
  server: string;
  rps: number;
  ratio: number | null;
  serverCpuUsPerRequest: number | null;
}

interface PairedSummary {
  server: string;
  ratio: number;
}

interface IdleResult {
  server: string;
  kibPerConnection: number;
}

const DIR = new URL("./results/", import.meta.url);

async function readJson<T>(name: string): Promise<T | null> {
  try {
    return JSON.parse(await Deno.readTextFile(new URL(name, DIR))) as T;
  } catch {
    return null;
  }
}

/** One horizontal bar chart as an SVG group, with its title. */
function bars(
  title: string,
  rows: { label: string; value: number; text: string; highlight: boolean }[],
  options: { y: number; targets?: { value: number; label: string }[] },
): { svg: string; height: number } {
  const targets = options.targets ?? [];
  const left = 150;
  const width = 420;
  const barHeight = 18;
  const gap = 6;
  const max =
    Math.max(...rows.map((r) => r.value), ...targets.map((t) => t.value)) *
    1.1;
  const x = (v: number): number => left + (v / max) * width;
  let svg = `<text x="10" y="${options.y + 14}" class="title">${
    escape(title)
  }</text>`;
  rows.forEach((row, i) => {
    const top = options.y + 24 + i * (barHeight + gap);
    svg +=
      `<text x="${left - 8}" y="${top + 13}" text-anchor="end">${
        escape(row.label)
      }</text>` +
      `<rect x="${left}" y="${top}" width="${
        (x(row.value) - left).toFixed(1)
      }" height="${barHeight}" class="${
        row.highlight ? "torsion" : "other"
      }"/>` +
      `<text x="${(x(row.value) + 6).toFixed(1)}" y="${top + 13}">${
        escape(row.text)
      }</text>`;
  });
  // One line per target; their labels stacked under the bars.
  const height = 24 + rows.length * (barHeight + gap) + 4 + 12 * targets.length;
  targets.forEach((target, i) => {
    const tx = x(target.value).toFixed(1);
    const bottom = options.y + 24 + rows.length * (barHeight + gap);
    svg +=
      `<line x1="${tx}" x2="${tx}" y1="${options.y + 20}" y2="${
        bottom + 12 * i
      }" class="target"/>` +
      `<text x="${tx}" y="${
        bottom + 10 + 12 * i
      }" text-anchor="middle" class="note">${escape(target.label)}</text>`;
  });
  return { svg, height: height + 8 };
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The issue's target for each echo server.
function targetOf(server: string): string {
  if (server === "torsion") return "≥ 0.95×";
  if (server.startsWith("raw")) return "";
  return "≥ 0.75×";
}

const thousands = (n: number): string =>
  `${Math.round(n / 1000).toLocaleString("en-US")}k`;

if (import.meta.main) {
  const echo = await readJson<
    { summary: LoopbackSummary[]; options: Record<string, unknown> }
  >(
    "loopback.json",
  );
  const paired = await readJson<{ summary: PairedSummary[] }>(
    "loopback_paired.json",
  );
  const idle = await readJson<{ results: IdleResult[] }>("idle_memory.json");
  const parts: string[] = [];
  let y = 10;
  const table: string[] = [
    "| benchmark | server | result | ÷ raw | target |",
    "| --- | --- | --- | --- | --- |",
  ];
  const loopbackRows = echo?.summary ?? [];
  if (loopbackRows.length > 0) {
    const chart = bars(
      "Loopback echo, 50 connections × 16 in flight × 64 B (requests/s)",
      loopbackRows.map((r) => ({
        label: r.server,
        value: r.rps,
        text: `${thousands(r.rps)}${
          r.ratio === null ? "" : ` (${r.ratio.toFixed(2)}× raw)`
        }`,
        highlight: r.server !== "raw",
      })),
      { y },
    );
    parts.push(chart.svg);
    y += chart.height;
    for (const r of loopbackRows) {
      const target = targetOf(r.server);
      table.push(
        `| loopback echo (req/s) | ${r.server} | ${thousands(r.rps)} | ${
          r.ratio === null ? "-" : r.ratio.toFixed(2)
        } | ${target} |`,
      );
    }
  }
  if (paired !== null) {
    const chart = bars(
      "Paired with raw on the same core at the same time (÷ raw, median)",
      paired.summary.map((r) => ({
        label: r.server,
        value: r.ratio,
        text: `${r.ratio.toFixed(3)}×`,
        highlight: !r.server.startsWith("raw"),
      })),
      {
        y,
        targets: [
          { value: 0.75, label: "framings ≥ 0.75×" },
          { value: 0.95, label: "echo ≥ 0.95×" },
        ],
      },
    );
    parts.push(chart.svg);
    y += chart.height;
    for (const r of paired.summary) {
      table.push(
        `| loopback echo, paired (÷ raw) | ${r.server} | ${
          r.ratio.toFixed(3)
        } | ${r.ratio.toFixed(2)} | ${targetOf(r.server)} |`,
      );
    }
  }
  if (idle !== null) {
    const chart = bars(
      "Memory per idle connection, 5,000 connections (KiB)",
      idle.results.map((r) => ({
        label: r.server,
        value: r.kibPerConnection,
        text: `${r.kibPerConnection.toFixed(1)} KiB`,
        highlight: r.server === "torsion",
      })),
      { y, targets: [{ value: 12, label: "target ≤ 12 KiB" }] },
    );
    parts.push(chart.svg);
    y += chart.height;
    for (const r of idle.results) {
      table.push(
        `| idle memory (KiB/conn) | ${r.server} | ${
          r.kibPerConnection.toFixed(1)
        } | - | ${r.server === "torsion" ? "≤ 12" : ""} |`,
      );
    }
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="${y + 10}" ` +
    `font-family="sans-serif" font-size="12">` +
    `<style>.title{font-weight:bold;font-size:13px}.torsion{fill:#3b6fb6}.other{fill:#9aa5b1}` +
    `.target{stroke:#c0392b;stroke-dasharray:4 3}.note{fill:#c0392b;font-size:11px}</style>` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>\n`;
  await Deno.writeTextFile(new URL("benchmarks.svg", DIR), svg);
  console.log(table.join("\n"));
  console.error("chart written to bench/results/benchmarks.svg");
}
