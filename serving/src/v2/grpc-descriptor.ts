/**
 * serving/proto/grpc_predict_v2.proto compiled to a serialized FileDescriptorSet, which grpc-server.ts loads.
 * From source it is compiled here when imported; scripts/build.mjs swaps this module for one holding the same
 * bytes, because a serving image has server.js and no serving/proto (the same way as the page's files).
 */
import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('../../proto/grpc_predict_v2.proto', import.meta.url));

export const PREDICT_V2_DESCRIPTOR_SET: Buffer = descriptorSet(Object.values(loadSync(PROTO)));

/** A FileDescriptorSet (`repeated FileDescriptorProto file = 1`) of every file the definitions come from. */
function descriptorSet(definitions: readonly object[]): Buffer {
  const files = new Map<string, Buffer>();
  for (const definition of definitions) {
    for (const file of (definition as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos ?? [])
      files.set(file.toString('base64'), file);
  }
  const parts: Buffer[] = [];
  for (const file of files.values()) parts.push(Buffer.from([0x0a]), varint(file.length), file);
  return Buffer.concat(parts);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
