/** What `mlp logs` was asked for, its flags parsed. */
export interface LogsRequest {
  /** The services to show; all of them when empty. */
  services: readonly string[];
  /** Keep streaming, taking in the pods (containers) that appear, until Ctrl-C. */
  follow: boolean;
  /** Lines from the end of each log that existed when the command started. */
  tail: number;
  /** Only lines newer than this. */
  sinceSeconds?: number;
  /** The last training Job's pod instead of the services. */
  training: boolean;
}
