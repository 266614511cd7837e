/**
 * A live time-series chart over uPlot. Created once per mount; new data goes through setData so
 * the chart redraws each second without being rebuilt. The container carries data-points and
 * data-last (the newest value of each series) so the browser tests can see it update.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  color: string;
}

export interface ChartProps {
  title: string;
  /** Labels the test and the reader can find the chart by. */
  id: string;
  series: ChartSeries[];
  /** [xs (unix seconds), ...one array per series]. */
  data: number[][];
  format: (v: number) => string;
  height?: number;
}

export function Chart({ title, id, series, data, format, height = 180 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const seriesKey = series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height,
      legend: { show: true },
      scales: { x: { time: true } },
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => format(t)), size: 84 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)) }))],
    };
    const u = new uPlot(opts, data as uPlot.AlignedData, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(300, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of series changes; data flows through setData below.
  }, [seriesKey, height]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  const xs = data[0] ?? [];
  const last = data.slice(1).map((ys) => ys[ys.length - 1] ?? 0);
  return (
    <figure class="chart" data-chart={id} data-points={xs.length} data-last-x={xs[xs.length - 1] ?? 0} data-last={JSON.stringify(last)}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
