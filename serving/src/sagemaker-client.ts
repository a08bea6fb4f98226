/**
 * The one place the serving app builds a SageMaker Runtime client. Credentials come from the SDK's default
 * chain (IRSA on EKS) and the endpoint from AWS_ENDPOINT_URL when set (moto in tests).
 */
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

export function createSageMakerRuntimeClient(region: string): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({
    region,
    // Two attempts: the caller is waiting on an HTTP request; retrying for long only turns a 503 into a timeout.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 },
  });
}
