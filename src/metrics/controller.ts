/**
 * The controller's Prometheus metrics, with the seed's names (SPEC.md
 * "Metrics"): sync counters, rate and duration, machines per environment and
 * state, drift per environment, the rate of successful applies. One
 * registry per controller (never prom-client's global one), so tests and
 * replicas in one process do not share counters. Labels stay bounded:
 * environment and state, never a machine or a user.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface FleetGauges {
  /** Machines per environment and state, and each environment's mean drift %, read when scraped. */
  readonly counts: () => Promise<ReadonlyArray<{ env: string; state: string; count: number; drift_sum: number }>>;
  /** Each environment's rollout step, as the percent of machines it reaches. */
  readonly rolloutSteps?: () => ReadonlyArray<{ env: string; percent: number }>;
}

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly syncSuccess: Counter;
  readonly syncFailure: Counter;
  readonly syncDuration: Histogram;
  readonly reports: Counter<'result'>;
  readonly checkins: Counter;

  constructor(gauges: FleetGauges, opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.syncSuccess = new Counter({ name: 'config_sync_success_total', help: 'Revisions of the config repo validated and assigned', registers });
    this.syncFailure = new Counter({ name: 'config_sync_failure_total', help: 'Revisions of the config repo that failed validation (never assigned)', registers });
    this.syncDuration = new Histogram({ name: 'config_sync_duration_seconds', help: 'Time to fetch and validate a revision', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.reports = new Counter({ name: 'claude_env_agent_reports_total', help: 'Agent reports stored, by result', labelNames: ['result'], registers });
    this.checkins = new Counter({ name: 'claude_env_checkins_total', help: 'Agent check-ins answered', registers });
    const self = this;
    new Gauge({
      name: 'config_sync_success_rate',
      help: 'Share of revisions seen that validated',
      registers,
      async collect() {
        const ok = (await self.syncSuccess.get()).values[0]?.value ?? 0;
        const bad = (await self.syncFailure.get()).values[0]?.value ?? 0;
        this.set(ok + bad === 0 ? 1 : ok / (ok + bad));
      },
    });
    new Gauge({
      name: 'deployment_success_rate',
      help: 'Share of agent applies reported ok',
      registers,
      async collect() {
        const values = (await self.reports.get()).values;
        const all = values.reduce((n, v) => n + v.value, 0);
        const ok = values.find((v) => v.labels['result'] === 'ok')?.value ?? 0;
        this.set(all === 0 ? 1 : ok / all);
      },
    });
    new Gauge({
      name: 'claude_env_machines',
      help: 'Machines per environment and state',
      labelNames: ['environment', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const c of await gauges.counts()) this.inc({ environment: c.env, state: c.state }, c.count);
      },
    });
    new Gauge({
      name: 'drift_percentage',
      help: 'Mean drift percentage of the machines of an environment',
      labelNames: ['environment'],
      registers,
      async collect() {
        this.reset();
        const by = new Map<string, { n: number; sum: number }>();
        for (const c of await gauges.counts()) {
          const e = by.get(c.env) ?? { n: 0, sum: 0 };
          e.n += c.count;
          e.sum += c.drift_sum;
          by.set(c.env, e);
        }
        for (const [env, e] of by) this.set({ environment: env }, e.n === 0 ? 0 : e.sum / e.n);
      },
    });
    new Gauge({
      name: 'rollout_step',
      help: 'The percent of machines the current step of an environment\'s rollout reaches',
      labelNames: ['environment'],
      registers,
      collect() {
        this.reset();
        for (const r of gauges.rolloutSteps?.() ?? []) this.set({ environment: r.env }, r.percent);
      },
    });
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
