/**
 * The Open Inference Protocol over gRPC (KServe's GRPCInferenceService, serving/proto/grpc_predict_v2.proto) on its
 * own port, GRPC_PORT: ServerLive/Ready, ServerMetadata, ModelReady/Metadata and ModelInfer, typed contents or
 * raw_input_contents in, raw_output_contents out. The same model state, parsing and answers as the REST routes
 * (routes/v2.ts); a failure is the call's status with the message the REST route would give.
 */
import * as grpc from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import type { Logger } from 'pino';
import { ServingError } from '../errors.js';
import type { ServingMetrics } from '../metrics.js';
import type { ModelState } from '../model-state.js';
import { runPrediction } from '../run-prediction.js';
import { namedBackend, servingLayout, V2_SERVER_METADATA, v2ModelMetadata } from '../routes/v2.js';
import { PREDICT_V2_DESCRIPTOR_SET } from './grpc-descriptor.js';
import { requestedOutputs, tensorRows, type InputTensor } from './infer-request.js';
import { outputTensors, rawOutput } from './infer-response.js';

export interface GrpcServerOptions {
  model: ModelState;
  metrics: ServingMetrics;
  logger: Logger;
  host: string;
  /** 0: any free port. */
  port: number;
  /** Largest request message, as MAX_BODY_BYTES is for REST. */
  maxMessageBytes: number;
}

export interface RunningGrpcServer {
  port: number;
  /** Lets calls in flight finish for up to `timeoutMs`, then cancels the rest. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** How each typed-contents field of InferTensorContents carries the datatypes the model takes. */
const CONTENTS_FIELD: Readonly<Record<string, string>> = {
  FP32: 'fp32Contents',
  FP64: 'fp64Contents',
  INT8: 'intContents',
  INT16: 'intContents',
  INT32: 'intContents',
  INT64: 'int64Contents',
  UINT8: 'uintContents',
  UINT16: 'uintContents',
  UINT32: 'uintContents',
  UINT64: 'uint64Contents',
};

type Message = Record<string, any>;
type Handler = (request: Message) => Message | Promise<Message>;

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { model, metrics, logger } = options;
  // Loaded from a descriptor, messages use the fields' JSON names (modelName, rawInputContents), keepCase or not.
  const definition = loadFileDescriptorSetFromBuffer(PREDICT_V2_DESCRIPTOR_SET, {
    keepCase: true,
    longs: Number,
    defaults: true,
    oneofs: true,
  });
  const service = definition['inference.GRPCInferenceService'] as grpc.ServiceDefinition | undefined;
  if (service === undefined) throw new Error('grpc_predict_v2.proto has no inference.GRPCInferenceService');

  const handlers: Record<string, Handler> = {
    ServerLive: () => ({ live: true }),
    ServerReady: () => ({ ready: model.ready }),
    ServerMetadata: () => V2_SERVER_METADATA,
    ModelReady: (request) => {
      namedBackend(model, request.name, request.version);
      return { ready: model.ready };
    },
    ModelMetadata: (request) => v2ModelMetadata(namedBackend(model, request.name, request.version)),
    ModelInfer: async (request) => {
      const backend = namedBackend(model, request.modelName, request.modelVersion);
      const layout = servingLayout(model);
      const inputs = request.inputs as Message[];
      if (inputs.length !== 1)
        throw new ServingError(422, 'invalid_input', `inputs: expected exactly one tensor named "${backend.inputName}"`);
      const raw = request.rawInputContents as Buffer[];
      if (raw.length !== 0 && raw.length !== inputs.length) {
        throw new ServingError(
          422,
          'invalid_input',
          `raw_input_contents: expected one entry per input (${inputs.length}), got ${raw.length}`,
        );
      }
      const input = inputs[0] as Message;
      const tensor: InputTensor = { name: input.name, datatype: input.datatype, shape: input.shape };
      if (raw.length > 0) tensor.raw = raw[0] as Buffer;
      else tensor.data = typedContents(input);
      const { rows, rowCount } = tensorRows(tensor, layout, backend.inputName, 'inputs[0]');
      const outputs = requestedOutputs(
        (request.outputs as Message[]).length === 0 ? undefined : (request.outputs as Message[]).map(({ name }) => ({ name })),
        true,
      );
      const { prediction } = await runPrediction(backend, metrics, rows, rowCount);
      const tensors = outputTensors(outputs, prediction, backend.metadata, rowCount);
      return {
        modelName: backend.metadata.model_name,
        modelVersion: backend.metadata.model_version,
        id: request.id,
        outputs: tensors.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
        rawOutputContents: tensors.map(rawOutput),
      };
    },
  };

  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
  });
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, handle] of Object.entries(handlers)) {
    implementation[name] = (call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) => {
      const started = performance.now();
      const done = (code: grpc.status, error: grpc.ServiceError | null, response?: Message): void => {
        logger.info(
          { rpc: name, code: grpc.status[code], duration_ms: Math.round((performance.now() - started) * 1000) / 1000 },
          'grpc request',
        );
        callback(error, response);
      };
      Promise.resolve()
        .then(() => handle(call.request))
        .then(
          (response) => done(grpc.status.OK, null, response),
          (error: unknown) => {
            const failure = grpcFailure(error);
            if (!(error instanceof ServingError)) logger.error({ err: error, rpc: name }, 'unhandled error');
            done(failure.code, Object.assign(new Error(failure.details), failure) as grpc.ServiceError);
          },
        );
    };
  }
  server.addService(service, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    const address = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  logger.info({ port, host: options.host }, 'grpc listening');

  return {
    port,
    shutdown: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** The typed contents field of the tensor's datatype (FP16 has none: it travels only as raw bytes). */
function typedContents(input: Message): unknown {
  const field = CONTENTS_FIELD[input.datatype as string];
  if (field === undefined) return undefined;
  return (input.contents as Message | null)?.[field] ?? [];
}

/** The REST status's gRPC counterpart, with the same message. */
function grpcFailure(error: unknown): { code: grpc.status; details: string } {
  if (!(error instanceof ServingError))
    return { code: grpc.status.INTERNAL, details: 'internal server error; the server log has the details' };
  const code =
    error.status === 404
      ? grpc.status.NOT_FOUND
      : error.status === 503
        ? grpc.status.UNAVAILABLE
        : error.status === 413
          ? grpc.status.RESOURCE_EXHAUSTED
          : error.status >= 500
            ? grpc.status.INTERNAL
            : grpc.status.INVALID_ARGUMENT;
  return { code, details: error.message };
}
