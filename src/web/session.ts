// The signed-in token: kept in sessionStorage (gone with the tab) unless the user asked to be
// remembered (localStorage). The scope decides whether write controls are drawn at all.
import type { Whoami } from './types.js';

const KEY = 'tandem-token';

type Listener = (reason: string) => void;

class Session {
  private who: Whoami | null = null;
  private readonly listeners = new Set<Listener>();

  token(): string | null {
    return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
  }

  get whoami(): Whoami | null {
    return this.who;
  }

  get admin(): boolean {
    return this.who?.scope === 'admin';
  }

  signIn(token: string, who: Whoami, remember: boolean): void {
    this.forget();
    (remember ? localStorage : sessionStorage).setItem(KEY, token);
    this.who = who;
  }

  resume(who: Whoami): void {
    this.who = who;
  }

  forget(): void {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
    this.who = null;
  }

  /** The controller refused the token (revoked, or a new store): back to the sign-in form. */
  expired(reason: string): void {
    this.forget();
    for (const l of this.listeners) l(reason);
  }

  onExpired(l: Listener): void {
    this.listeners.add(l);
  }
}

export const session = new Session();
