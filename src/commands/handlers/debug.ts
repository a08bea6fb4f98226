import type { CommandHandler } from '../../lib/command.js';
import type { DebugTopic } from '../../lib/debug/check.js';
import { MlpError, NotImplementedError } from '../../lib/errors.js';

type Topic = 'sagemaker' | 'pods' | 'quota' | 'ecr';

/** Each topic's module, loaded only when asked for (a topic missing here would exit 4, not built yet). */
const TOPICS: Partial<Record<Topic, () => Promise<{ default: DebugTopic }>>> = {
  sagemaker: () => import('../../lib/debug/sagemaker.js'),
  pods: () => import('../../lib/debug/pods.js'),
  quota: () => import('../../lib/debug/quota.js'),
  ecr: () => import('../../lib/debug/ecr.js'),
};

const debug: CommandHandler<Record<string, unknown>, [topic: Topic, service: string | undefined]> = async (
  context,
  _options,
  [topic, service],
) => {
  const load = TOPICS[topic];
  if (!load) throw new NotImplementedError(`mlp debug ${topic}`, 'a later issue');
  const [{ default: run }, { formatChecks }] = await Promise.all([load(), import('../../lib/debug/format-checks.js')]);
  const records = await run(context, { services: service === undefined ? [] : [service] });
  const actions = context.output.actions?.core;
  if (actions) (await import('../../lib/github-actions/report.js')).reportDebug(actions, topic, records);
  const failed = records.filter((record) => record.status === 'fail');
  const { color } = context.output;
  const human = () => formatChecks(records, { red: color.red, green: color.green });
  const failure =
    failed.length === 0
      ? undefined
      : new MlpError('checkFailed', `mlp debug ${topic}: ${failed.length} of ${records.length} checks failed.`, {
          details: failed.map((record) => `${record.subject ? `${record.subject}: ` : ''}${record.saw}`),
          hint: failed[0]?.fix ?? 'see the checks above',
        });
  context.output.resultOrFailure({ topic, checks: records }, human, failure);
};
export default debug;
