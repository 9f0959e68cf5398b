// A real OpenID provider for ALEx's tests: node-oidc-provider (OpenID Certified) on a loopback port.
//
//   PORT=0 CLIENT_ID=alex CLIENT_SECRET=… REDIRECT_URI=… POST_LOGOUT_URI=… ACCOUNTS_FILE=… node provider.mjs
//
// Prints "ready <issuer>" once it listens. The accounts are read from ACCOUNTS_FILE (JSON: account id ->
// claims) at every login, so a test can change a person's e-mail or groups between two logins. Logging
// in uses the package's development interactions: any account id as the login, any password, then
// "Continue" on the consent page; tests drive those two forms over HTTP, the browser test clicks them.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const env = process.env;

function accounts() {
  return JSON.parse(readFileSync(env.ACCOUNTS_FILE, 'utf8'));
}

// A fresh signing key per start: a token signed by another run's key must fail.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;

const server = createServer();
server.listen(Number(env.PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: env.CLIENT_ID,
      client_secret: env.CLIENT_SECRET,
      redirect_uris: [env.REDIRECT_URI],
      post_logout_redirect_uris: [env.POST_LOGOUT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    // ALEx must send a PKCE challenge, confidential client or not.
    pkce: { required: () => true },
    // Keycloak's shape: e-mail and profile claims, and a "groups" claim for the roles.
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'locale', 'groups'],
    },
    scopes: ['openid', 'email', 'profile'],
    async findAccount(ctx, id) {
      const person = accounts()[id];
      if (!person) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...person }) };
    },
    jwks: { keys: [signingKey] },
    ttl: { IdToken: Number(env.ID_TOKEN_TTL || 3600) },
    cookies: { keys: ['tests-only-cookie-key'] },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // The package's own pages load a web font from a third-party host; these do not.
        async logoutSource(ctx, form) {
          ctx.body = page('Sign out?', `${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`ready ${issuer}\n`);
});
