import { describe, expect, it } from 'vitest';
import { MlpError } from '../errors.js';
import { describeNodegroup, updateScaling, type Eks, type NodegroupState } from './nodegroup.js';

/** An EKS client that answers each command by its name from `answers` (a function of the call count). */
function fakeEks(answers: Record<string, (input: Record<string, unknown>, call: number) => unknown>): Eks & { calls: string[] } {
  const calls: string[] = [];
  const counts = new Map<string, number>();
  return {
    calls,
    send: (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push(name);
      const call = (counts.get(name) ?? 0) + 1;
      counts.set(name, call);
      const answer = answers[name];
      if (!answer) throw new Error(`unexpected ${name}`);
      const out = answer(command.input, call);
      if (out instanceof Error) throw out;
      return out;
    }) as unknown as Eks['send'],
  };
}

const named = (name: string): Error => Object.assign(new Error(name), { name });
const waits = { timeoutMs: 2000, pollMs: 1, log: () => undefined };
const state: NodegroupState = { cluster: 'ml', nodegroup: 'workers', status: 'ACTIVE', size: { min: 2, max: 4, desired: 2 } };
const down = { min: 0, max: 4, desired: 0 };

async function failure(promise: Promise<unknown>): Promise<MlpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MlpError);
  return error as MlpError;
}

describe('describeNodegroup', () => {
  it('names the nodegroups that exist when the one asked for does not (exit 70)', async () => {
    const eks = fakeEks({
      DescribeNodegroup: () => named('ResourceNotFoundException'),
      ListNodegroups: () => ({ nodegroups: ['workers', 'gpu'] }),
    });
    const error = await failure(describeNodegroup(eks, { cluster: 'ml', nodegroup: 'nope' }));
    expect(error.exitCode).toBe(70);
    expect(error.message).toBe('Cluster ml has no nodegroup nope.');
    expect(error.details).toEqual(['nodegroups in ml: gpu, workers']);
  });
});

describe('updateScaling', () => {
  it('polls DescribeUpdate until the update is Successful', async () => {
    const eks = fakeEks({
      UpdateNodegroupConfig: (input) => {
        expect(input.scalingConfig).toEqual({ minSize: 0, maxSize: 4, desiredSize: 0 });
        return { update: { id: 'u1', status: 'InProgress' } };
      },
      DescribeUpdate: (_, call) => ({ update: { id: 'u1', status: call < 3 ? 'InProgress' : 'Successful' } }),
    });
    expect(await updateScaling(eks, state, down, waits)).toBe('u1');
    expect(eks.calls).toEqual(['UpdateNodegroupConfig', 'DescribeUpdate', 'DescribeUpdate', 'DescribeUpdate']);
  });

  it('sends nothing when the nodegroup has that size already', async () => {
    const eks = fakeEks({});
    expect(await updateScaling(eks, { ...state, size: down }, down, waits)).toBeUndefined();
    expect(eks.calls).toEqual([]);
  });

  it("reports a Failed update with EKS's errors (exit 73)", async () => {
    const eks = fakeEks({
      UpdateNodegroupConfig: () => ({ update: { id: 'u2', status: 'InProgress' } }),
      DescribeUpdate: () => ({
        update: {
          id: 'u2',
          status: 'Failed',
          errors: [{ errorCode: 'AsgInstanceLaunchFailures', errorMessage: 'no capacity', resourceIds: ['asg-1'] }],
        },
      }),
    });
    const error = await failure(updateScaling(eks, state, down, waits));
    expect(error.exitCode).toBe(73);
    expect(error.message).toBe('EKS reports update u2 of nodegroup workers as Failed.');
    expect(error.details).toEqual(['AsgInstanceLaunchFailures: no capacity (asg-1)']);
  });

  it('waits for an update in progress (ResourceInUseException), then sends its own', async () => {
    const eks = fakeEks({
      UpdateNodegroupConfig: (_, call) => (call === 1 ? named('ResourceInUseException') : { update: { id: 'mine', status: 'Successful' } }),
      ListUpdates: () => ({ updateIds: ['theirs'] }),
      DescribeUpdate: (_, call) => ({ update: { id: 'theirs', status: call < 3 ? 'InProgress' : 'Successful' } }),
      DescribeNodegroup: () => ({ nodegroup: { status: 'ACTIVE', scalingConfig: { minSize: 2, maxSize: 4, desiredSize: 2 } } }),
    });
    expect(await updateScaling(eks, state, down, waits)).toBe('mine');
    expect(eks.calls.filter((c) => c === 'UpdateNodegroupConfig')).toHaveLength(2);
  });

  it('gives up on a nodegroup that stays busy (exit 71)', async () => {
    const eks = fakeEks({
      UpdateNodegroupConfig: () => named('ResourceInUseException'),
      ListUpdates: () => ({ updateIds: ['theirs'] }),
      DescribeUpdate: () => ({ update: { id: 'theirs', status: 'InProgress' } }),
    });
    const error = await failure(updateScaling(eks, state, down, { ...waits, timeoutMs: 50 }));
    expect(error.exitCode).toBe(71);
    expect(error.message).toContain('Nodegroup workers is still being updated (update theirs)');
  });
});
