import { describe, expect, it } from 'vitest';
import { humanLine, jsonLine, NO_PAINT, parsePinoRecord, readableRecord } from './format-line.js';
import { mergeByTime, splitTimestamp } from './merge-lines.js';
import { parseSince } from './since.js';

const REQUEST =
  '{"level":30,"time":"2026-12-03T07:21:48.123Z","service":"mlp-serving","method":"POST","route":"/predict","path":"/predict","status":200,"duration_ms":1.25,"request_id":"r-1","msg":"request"}';

describe('serving records', () => {
  it('reads a pino line and shows time of day, level, message and the fields that matter', () => {
    const record = parsePinoRecord(REQUEST)!;
    expect(readableRecord(record)).toBe('07:21:48.123 INFO  request method=POST route=/predict status=200 duration_ms=1.25 request_id=r-1');
  });

  it('shows an error by its message and quotes values with spaces', () => {
    const line = JSON.stringify({
      level: 60,
      time: '2026-12-03T07:21:48.000Z',
      err: { type: 'Error', message: 'no such file', stack: 'Error: …' },
      model_dir: '/opt/my model',
      msg: 'cannot load the model from /opt/model',
    });
    expect(readableRecord(parsePinoRecord(line)!)).toBe(
      '07:21:48.000 FATAL cannot load the model from /opt/model err="no such file" model_dir="/opt/my model"',
    );
  });

  it('leaves lines that are not pino records alone', () => {
    for (const line of ['Traceback (most recent call last):', '{"not": "pino"}', '{broken', '[1,2]'])
      expect(parsePinoRecord(line)).toBeUndefined();
    const source = { pod: 'api-1', container: 'serving' };
    expect(humanLine(source, 'plain text', { readable: true, width: 8, index: 0, paint: NO_PAINT })).toBe('api-1    | plain text');
  });

  it('on a terminal a record is readable after its pod; piped it is the line as written', () => {
    const source = { service: 'fraud', pod: 'fraud-abc', container: 'serving' };
    expect(humanLine(source, REQUEST, { readable: true, width: 0, index: 0, paint: NO_PAINT })).toMatch(
      /^fraud-abc \| 07:21:48\.123 INFO {2}request /,
    );
    expect(humanLine(source, REQUEST, { readable: false, width: 0, index: 0, paint: NO_PAINT })).toBe(`fraud-abc | ${REQUEST}`);
    expect(humanLine({ ...source, showContainer: true }, 'x', { readable: false, width: 0, index: 0, paint: NO_PAINT })).toBe(
      'fraud-abc/serving | x',
    );
  });

  it('with --json, a record goes through unchanged and any other line as a string', () => {
    const source = { service: 'fraud', pod: 'fraud-abc', container: 'serving' };
    expect(JSON.parse(jsonLine(source, REQUEST))).toEqual({ ...source, record: JSON.parse(REQUEST) });
    expect(JSON.parse(jsonLine(source, 'hello'))).toEqual({ ...source, line: 'hello' });
  });
});

describe('merging pods by time', () => {
  it('sorts by the timestamp although the kubelet trims trailing zeros', () => {
    expect(splitTimestamp('2026-12-03T07:21:48.1Z one')).toEqual({ key: '2026-12-03T07:21:48.100000000', line: 'one' });
    const merged = mergeByTime([
      { source: 'a', lines: ['2026-12-03T07:21:48.1Z a1', '2026-12-03T07:21:49Z a2'] },
      { source: 'b', lines: ['2026-12-03T07:21:48.12Z b1', '2026-12-03T07:21:48.999999999Z b2'] },
    ]);
    expect(merged.map((entry) => entry.line)).toEqual(['a1', 'b1', 'b2', 'a2']);
  });

  it('keeps lines with the same time in the order they were read, and a line without a timestamp after the one before', () => {
    const merged = mergeByTime([
      { source: 'a', lines: ['2026-12-03T07:21:48Z first', 'continued'] },
      { source: 'b', lines: ['2026-12-03T07:21:48Z second'] },
    ]);
    expect(merged.map((entry) => entry.line)).toEqual(['first', 'continued', 'second']);
  });
});

describe('--since', () => {
  it('reads durations as kubectl writes them', () => {
    expect(parseSince('90s')).toBe(90);
    expect(parseSince('10m')).toBe(600);
    expect(parseSince('1h30m')).toBe(5400);
    for (const bad of ['', '10', '1d', 'm', '0s', '-5m']) expect(parseSince(bad)).toBeUndefined();
  });
});
