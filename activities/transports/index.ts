// One import for the transport types, the two adapters and the local sinks.
export * from './types';
export { createSmtpTransport, messageIdFor, classifySmtpError, type SmtpTransportOptions } from './email';
export { createHttpSmsTransport, classifySmsAnswer, type HttpSmsTransportOptions } from './sms';
export type { SendProgress, SmtpFailureContext } from './smtp-errors';
export { startSmtpSink, type SmtpSink, type SmtpSinkOptions, type ReceivedEmail } from './sinks/smtp-sink';
export { startSmsSink, type SmsSink, type SmsSinkOptions, type ReceivedSms } from './sinks/sms-sink';

export async function closeTransports(transports: {
  email: { close?(): void | Promise<void> };
  sms: { close?(): void | Promise<void> };
}): Promise<void> {
  await transports.email.close?.();
  await transports.sms.close?.();
}
