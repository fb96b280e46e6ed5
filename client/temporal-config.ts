// Where Temporal is and how to reach it, read the way Temporal's own tools read it (@temporalio/envconfig): a
// profile of a TOML config file (TEMPORAL_CONFIG_FILE, or ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE
// picks one, default "default") with address, namespace, API key, TLS and mTLS files and gRPC metadata, and the
// TEMPORAL_* variables on top of it (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*).
// The worker, the client API and the CLI all connect with what this module returns, so a deployment that works
// for `temporal` works for consentflow. With none of that present only TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE
// count, and envconfig is not even loaded (a short CLI call such as `decide` does not pay for it).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { TLSConfig } from '@temporalio/client';
import type * as EnvConfig from '@temporalio/envconfig';
import { CliError } from './cli/errors';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** How to reach Temporal beyond its address: what both Connection.connect and NativeConnection.connect take. */
export interface TemporalTransport {
  /** true: TLS with the system's roots; an object: own CA, client certificate (mTLS), server name. */
  tls?: TLSConfig | boolean;
  /** Temporal Cloud API key (sent as a bearer token; turns TLS on). */
  apiKey?: string;
  /** gRPC metadata sent with every call (profile `grpc_meta`, TEMPORAL_GRPC_META_*). */
  metadata?: Record<string, string>;
  /** Where these settings came from, for messages: `profile "prod" of /etc/temporal.toml`. */
  source: string;
}

export interface TemporalConnectionConfig {
  address: string;
  namespace: string;
  /** Absent when only TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (or nothing) configure the connection. */
  transport?: TemporalTransport;
}

/** A config file or profile that cannot be used: what, where, and how to fix it. Bad input (CLI exit 2). */
export class TemporalConfigError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'TemporalConfigError';
  }
}

/** Variables that only envconfig understands: any of them (or a config file) means envconfig reads the settings. */
const ENVCONFIG_VARIABLES = /^TEMPORAL_(PROFILE|CONFIG_FILE|API_KEY|TLS|TLS_.+|GRPC_META_.+)$/;

/** The file envconfig reads when TEMPORAL_CONFIG_FILE is not set (as the `temporal` CLI does). */
export function defaultTemporalConfigFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform === 'win32')
    return env.APPDATA ? path.join(env.APPDATA, 'temporalio', 'temporal.toml') : undefined;
  const base =
    process.platform === 'darwin'
      ? env.HOME && path.join(env.HOME, 'Library', 'Application Support')
      : (env.XDG_CONFIG_HOME ?? (env.HOME ?? os.homedir()) + '/.config');
  return base ? path.join(base, 'temporalio', 'temporal.toml') : undefined;
}

export function loadTemporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConnectionConfig {
  const named = env.TEMPORAL_CONFIG_FILE;
  if (named !== undefined && named !== '' && !existsSync(named)) {
    throw new TemporalConfigError(
      `TEMPORAL_CONFIG_FILE=${named}: no such file. Point it at your Temporal config file (TOML with ` +
        `[profile.NAME] tables), or unset it to use ${defaultTemporalConfigFile(env) ?? 'none'}.`,
    );
  }
  const file = named || defaultTemporalConfigFile(env);
  const fileExists = file !== undefined && existsSync(file);
  const usesEnvconfig = fileExists || Object.keys(env).some((k) => ENVCONFIG_VARIABLES.test(k) && env[k]);
  if (!usesEnvconfig) {
    return {
      address: env.TEMPORAL_ADDRESS || DEFAULT_TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE || DEFAULT_TEMPORAL_NAMESPACE,
    };
  }
  const profileName = env.TEMPORAL_PROFILE || undefined;
  if (profileName && !fileExists) {
    throw new TemporalConfigError(
      `TEMPORAL_PROFILE=${profileName}, but there is no Temporal config file (${file ?? 'none'}). ` +
        `Set TEMPORAL_CONFIG_FILE to the TOML file with [profile.${profileName}], or unset TEMPORAL_PROFILE.`,
    );
  }
  const source = fileExists
    ? `profile "${profileName ?? 'default'}" of ${file}`
    : 'the TEMPORAL_* environment variables';
  // Loaded on use (it costs a short CLI call some 30 ms): a require, so loadSettings stays synchronous.
  const envconfig = createRequire(import.meta.url)('@temporalio/envconfig') as typeof EnvConfig;
  let connect: EnvConfig.ClientConnectConfig;
  try {
    const profile = envconfig.loadClientConfigProfile({
      ...(profileName ? { profile: profileName } : {}),
      ...(fileExists ? { configSource: { path: file } } : { disableFile: true }),
      overrideEnvVars: definedOnly(env),
    });
    connect = envconfig.toClientOptions(profile);
  } catch (err) {
    throw new TemporalConfigError(configProblem(err, source, fileExists ? file : undefined, profileName));
  }
  const options = connect.connectionOptions;
  const transport: TemporalTransport = { source };
  if (options.tls !== undefined && options.tls !== null) transport.tls = options.tls;
  if (typeof options.apiKey === 'string') transport.apiKey = options.apiKey;
  if (options.metadata && Object.keys(options.metadata).length > 0)
    transport.metadata = options.metadata as Record<string, string>;
  return {
    address: options.address || DEFAULT_TEMPORAL_ADDRESS,
    namespace: connect.namespace || DEFAULT_TEMPORAL_NAMESPACE,
    transport,
  };
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/** envconfig's error in a sentence with the fix: a TOML syntax error, a missing profile, an unreadable cert. */
function configProblem(err: unknown, source: string, file: string | undefined, profile?: string): string {
  const e = err as NodeJS.ErrnoException & { path?: string };
  const text = (e?.message ?? String(err)).split('\n')[0]!;
  if (e?.code === 'ENOENT' || e?.code === 'EACCES')
    return (
      `the Temporal connection settings (${source}) name a file that cannot be read: ${e.path ?? text}. ` +
      `Fix the path (tls.client_cert_path, client_key_path, server_ca_cert_path or TEMPORAL_TLS_*_PATH).`
    );
  if (/Profile '.*' not found/.test(text))
    return (
      `TEMPORAL_PROFILE=${profile}: ${file ? `${file} has no [profile.${profile}]` : 'there is no Temporal config file'}. ` +
      `Add the profile, set TEMPORAL_CONFIG_FILE to the file that has it, or unset TEMPORAL_PROFILE.`
    );
  return (
    `the Temporal connection settings (${source}) could not be read: ${text}. ` +
    `Fix the file (see docs/deployment.md, "Connecting to Temporal").`
  );
}

/** The options Connection.connect (client) and NativeConnection.connect (worker) share. */
export function connectionOptions(config: { address: string; transport?: TemporalTransport | undefined }): {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
} {
  const t = config.transport;
  return {
    address: config.address,
    ...(t?.tls !== undefined ? { tls: t.tls } : {}),
    ...(t?.apiKey !== undefined ? { apiKey: t.apiKey } : {}),
    ...(t?.metadata ? { metadata: t.metadata } : {}),
  };
}
