// Charts with Chart.js, loaded on first use so the first page stays small.
import { useEffect, useRef } from "preact/hooks";

type ChartLib = typeof import("./chartlib");
let lib: Promise<ChartLib> | null = null;

function chartJS(): Promise<ChartLib> {
  lib ??= import("./chartlib");
  return lib;
}

type ChartConfig = ConstructorParameters<ChartLib["Chart"]>[1];

/** Draws config on the canvas once Chart.js is loaded; redraws on deps. */
function useChart(config: () => ChartConfig, deps: unknown[]) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let chart: { destroy(): void } | null = null;
    let live = true;
    void chartJS().then(({ Chart }) => {
      if (live && ref.current) chart = new Chart(ref.current, config());
    });
    return () => {
      live = false;
      chart?.destroy();
    };
  }, deps);
  return ref;
}

/** A radial gauge of used against a limit (null: unlimited). */
export function Radial({ label, used, limit }: { label: string; used: number; limit: number | null }) {
  const ref = useChart(() => {
    const rest = limit === null ? (used === 0 ? 1 : 0) : Math.max(limit - used, 0);
    return {
      type: "doughnut",
      data: { labels: ["Used", "Free"], datasets: [{ data: [used, rest], backgroundColor: ["#3b4cca", "#e3e6f3"], borderWidth: 0 }] },
      options: { cutout: "72%", animation: false, plugins: { legend: { display: false }, tooltip: { enabled: true } }, responsive: false },
    };
  }, [used, limit]);
  const text = limit === null ? `${used} (unlimited)` : `${used} of ${limit}`;
  return (
    <figure class="radial">
      <canvas ref={ref} width={120} height={120} role="img" aria-label={`${label}: ${text}`} />
      <figcaption>
        <strong>{label}</strong>
        <span>{text}</span>
      </figcaption>
    </figure>
  );
}

export interface Gauge {
  used: number;
  limit: number | null;
}

const GAUGE_LABELS: Record<string, string> = { members: "Members", projects: "Projects", api_keys: "API keys", apps: "Apps", roles: "Custom roles" };

/** Radial charts of the plan's gauges (GET …/analytics, …/dashboard), in the order of names. */
export function Gauges<K extends string>({ gauges, names }: { gauges: Record<K, Gauge>; names: K[] }) {
  return (
    <div class="radials">
      {names.map((n) => (
        <Radial key={n} label={GAUGE_LABELS[n] ?? n} used={gauges[n].used} limit={gauges[n].limit} />
      ))}
    </div>
  );
}

/** Bars per month (oldest first), one dataset per series. */
export function History(props: { label: string; months: string[]; series: { name: string; values: number[]; color: string }[] }) {
  const ref = useChart(
    () => ({
      type: "bar",
      data: {
        labels: props.months,
        datasets: props.series.map((s) => ({ label: s.name, data: s.values, backgroundColor: s.color })),
      },
      options: { animation: false, responsive: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }),
    [JSON.stringify(props)],
  );
  const summary = props.series.map((s) => `${s.name}: ${s.values.join(", ")}`).join("; ");
  return (
    <figure class="history">
      <canvas ref={ref} width={560} height={220} role="img" aria-label={`${props.label}, ${props.months.join(", ")}. ${summary}`} />
      <figcaption>{props.label}</figcaption>
    </figure>
  );
}
