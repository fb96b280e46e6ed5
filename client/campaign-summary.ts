// The static summary and details a campaign run starts with: what the Web UI shows in the run list and the
// User Metadata tab. Names, the message and the pace: no personal data (the details land in the history).
import type { CampaignInput } from '../contracts/campaign';

export function campaignSummary(
  name: string,
  input: CampaignInput,
): { staticSummary: string; staticDetails: string } {
  const m = input.message;
  const scope = [m.resource && `resource ${m.resource}`, m.category && `category ${m.category}`]
    .filter(Boolean)
    .join(', ');
  return {
    staticSummary: `campaign ${name} · ${m.type} by ${m.channel} · segment ${input.segmentName ?? 'inline'}`,
    staticDetails: [
      `**campaign ${name}**: ${m.type} by ${m.channel} (template ${m.template}${scope ? `, ${scope}` : ''}) to segment \`${input.segmentName ?? 'inline'}\`.`,
      '',
      `- pace: ${input.pace.ratePerSecond} messages/s on \`${m.channel}:${input.pace.provider ?? 'default'}\`, ${input.pace.concurrency} in flight per range`,
      `- ${input.ranges} page ranges (child workflows), ${input.pageSize} contacts per page`,
      ...(input.localHour !== undefined ? [`- only contacts whose local time is ${input.localHour}:00`] : []),
      '',
      'Every contact is decided by the consent rules, and asked again right before its delivery. ' +
        'The current details show the counts; `consentflow campaigns status` shows each range.',
    ].join('\n'),
  };
}
