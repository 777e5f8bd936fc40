// The baseline every benchmark is measured against: a bare Fastify 5 hello-world, no plugins.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.post('/', async (req) => ({ hello: 'world', got: req.body ? 1 : 0 }));
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ msg: 'gatehouse listening', address }) + '\n');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
