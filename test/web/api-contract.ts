// The dashboard reads the controller's answers through its own types (src/web/types.ts: the browser
// build cannot import the controller's modules). These assignments compile only while every answer
// has each field the dashboard reads, with a type the dashboard accepts: `npm run typecheck` is the
// test. (The words and the overview's shapes are shared outright: src/controller/api-words.ts.)
import type { EventView as ServerEvent } from '../../src/controller/events.js';
import type { CommandView as ServerCommand } from '../../src/controller/model/commands.js';
import type { SiteView as ServerSite } from '../../src/controller/model/sites.js';
import type { ApiTestView as ServerApiTest } from '../../src/controller/schema.js';
import type { ApiTestView, CommandView, EventView, SiteView } from '../../src/web/types.js';

export const readsSiteView = (s: ServerSite): SiteView => s;
export const readsEvent = (e: ServerEvent): EventView => e;
export const readsCommand = (c: ServerCommand): CommandView => c;
export const readsApiTest = (t: ServerApiTest): ApiTestView => t;
