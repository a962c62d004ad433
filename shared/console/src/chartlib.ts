// The parts of Chart.js the console draws with (named imports, so the
// bundler leaves the rest out). Loaded on demand by charts.tsx.
import { ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Legend, LinearScale, Tooltip } from "chart.js";

Chart.register(DoughnutController, ArcElement, Tooltip, BarController, BarElement, CategoryScale, LinearScale, Legend);

export { Chart };
