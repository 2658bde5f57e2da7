import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

const EFFECT_COLORS = { allow: '#2f9e44', review: '#f08c00', deny: '#e03131' };

/** Counts by a key (status, tier) as bars; the figure also has a text equivalent for screen readers. */
export function CountBars({ counts, label }: { counts: Record<string, number>; label: string }) {
  const data = Object.entries(counts).map(([name, count]) => ({ name, count }));
  const summary = data.map((d) => `${d.name} ${d.count}`).join(', ') || 'none';
  return (
    <figure style={{ margin: 0 }} aria-label={`${label}: ${summary}`}>
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={data}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="name" />
          <YAxis allowDecimals={false} />
          <Tooltip />
          <Bar dataKey="count" fill="#1c7ed6" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

export function DecisionsChart({
  buckets,
}: {
  buckets: Array<{ hour: string; allow: number; review: number; deny: number }>;
}) {
  const data = buckets.map((b) => ({
    ...b,
    label: new Date(b.hour).toLocaleTimeString('en-GB', { hour: '2-digit' }),
  }));
  const totals = buckets.reduce(
    (sum, b) => ({ allow: sum.allow + b.allow, review: sum.review + b.review, deny: sum.deny + b.deny }),
    { allow: 0, review: 0, deny: 0 },
  );
  return (
    <figure
      style={{ margin: 0 }}
      aria-label={`Decisions in 24 hours: ${totals.allow} allowed, ${totals.review} reviewed, ${totals.deny} denied`}
    >
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={data}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="label" />
          <YAxis allowDecimals={false} />
          <Tooltip />
          <Legend />
          {(['allow', 'review', 'deny'] as const).map((effect) => (
            <Bar
              key={effect}
              dataKey={effect}
              stackId="effect"
              fill={EFFECT_COLORS[effect]}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

export function SpendChart({
  series,
  dataKey = 'usd',
}: {
  series: Array<Record<string, number | string>>;
  dataKey?: string;
}) {
  return (
    <figure style={{ margin: 0 }} aria-label={`Spend per day over ${series.length} days`}>
      <ResponsiveContainer width="100%" height={180}>
        <AreaChart data={series}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" tickFormatter={(day: string) => day.slice(5)} />
          <YAxis />
          <Tooltip />
          <Area dataKey={dataKey} stroke="#1c7ed6" fill="#a5d8ff" isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </figure>
  );
}
