// A Chart.js chart with a text alternative: the canvas is an image with a label, and
// the same figures sit in a table that screen readers (and the tests) can read.
import { useEffect, useRef } from 'preact/hooks';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

ChartJS.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);
ChartJS.defaults.color = '#1b1b1f';
ChartJS.defaults.font.family = 'system-ui, sans-serif';

export interface Series {
  label: string;
  values: number[];
  color: string;
}

export function Chart(props: {
  id: string;
  title: string;
  kind: 'line' | 'bar';
  labels: string[];
  series: Series[];
  horizontal?: boolean;
  format?: (v: number) => string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<ChartJS | null>(null);
  useEffect(() => {
    const cfg: ChartConfiguration = {
      type: props.kind,
      data: {
        labels: props.labels,
        datasets: props.series.map((s) => ({
          label: s.label,
          data: s.values,
          borderColor: s.color,
          backgroundColor: props.kind === 'line' ? `${s.color}33` : s.color,
          fill: props.kind === 'line',
          tension: 0.25,
          pointRadius: props.labels.length > 60 ? 0 : 2,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: props.horizontal ? 'y' : 'x',
        plugins: { legend: { display: props.series.length > 1 } },
        scales: { x: { ticks: { maxTicksLimit: 10 } } },
      },
    };
    if (!chart.current) chart.current = new ChartJS(canvas.current!, cfg);
    else {
      chart.current.data = cfg.data;
      chart.current.update('none');
    }
  }, [JSON.stringify([props.labels, props.series])]);
  useEffect(() => () => chart.current?.destroy(), []);
  const fmt = props.format ?? ((v: number) => String(v));
  return (
    <section class="chart" aria-labelledby={`${props.id}-title`} data-chart={props.id}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <div class="canvas">
        <canvas ref={canvas} role="img" aria-label={`${props.title}: chart; the figures follow in a table`} />
      </div>
      <table class="sr-only" data-chart-table={props.id}>
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th></th>
            {props.series.map((s) => (
              <th key={s.label}>{s.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.labels.map((l, i) => (
            <tr key={l + i}>
              <th>{l}</th>
              {props.series.map((s) => (
                <td key={s.label}>{fmt(s.values[i])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
