// A real OpenID Connect provider for tests: npm's oidc-provider on 127.0.0.1, one static client, two accounts,
// and its development login pages (any password is accepted; the account id decides who signs in).
//
// Usage: node oidc_provider.mjs '{"clientId": "...", "clientSecret": "...", "redirectUri": "..."}'
// Prints one line `ISSUER=http://127.0.0.1:<port>` when it listens (the port is chosen by the system).
import http from 'node:http';
import Provider from 'oidc-provider';

const options = JSON.parse(process.argv[2] || '{}');
const ACCOUNTS = {
  marieke: { name: 'Marieke de Vries', email: 'marieke@provinciegroningen.example', wierde_role: 'steward' },
  jan: { name: 'Jan Bakker', email: 'jan@provinciegroningen.example', wierde_role: 'employee' },
};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: options.clientId,
      client_secret: options.clientSecret,
      redirect_uris: [options.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    async findAccount(ctx, id) {
      const person = ACCOUNTS[id];
      if (!person) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, preferred_username: id, ...person };
        },
      };
    },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'wierde_role'],
      email: ['email'],
    },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: {
      keys: ['wierde-test-cookie-key'],
      long: { signed: true, sameSite: 'lax' },
      short: { signed: true, sameSite: 'lax' },
    },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  console.log(`ISSUER=${issuer}`);
});
