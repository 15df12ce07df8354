import type { Notification } from '../kit';
import { consoleLinkText } from './console-link';

/**
 * Teams reads a card's text as Markdown (bold, italics, lists, links), so text from a run (a reason, a name) has the
 * characters that open bold, italics or a link escaped with a backslash: `[reset](https://evil.example)` shows as typed.
 */
export function teamsEscape(text: string): string {
  return text.replace(/[\\*_[\]()<>`~#]/g, (c) => `\\${c}`);
}

/**
 * A Teams channel webhook's body (a Workflows "post to a channel when a webhook request is received" flow): a message
 * with one Adaptive Card, its text in TextBlocks. The console link is a Markdown link in the text, not a card action:
 * the card has no buttons, so nothing in the chat looks as if it could approve.
 */
export function teamsBody(n: Notification, link?: string): unknown {
  const e = teamsEscape;
  const block = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'TextBlock', text, wrap: true, ...extra });
  const body = [
    block(`**${e(n.title)}**`, { size: 'Medium', weight: 'Bolder' }),
    block(`${e(n.runId)} (${e(n.state)})`, { isSubtle: true }),
    block(e(n.text)),
    ...(n.audience?.length ? [block(`For: ${e(n.audience.join(', '))}`)] : []),
    ...(link
      ? [block(`[${consoleLinkText(n.kind)}](${link.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})`)]
      : []),
  ];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body },
      },
    ],
  };
}
