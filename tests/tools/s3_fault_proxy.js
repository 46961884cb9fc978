#!/usr/bin/env node
// tests/tools/s3_fault_proxy.js - an HTTP proxy in front of the test's S3
// server (s3rver) that injects the faults an object store shows, for
// tests/suites/57-s3.sh:
//
//   node s3_fault_proxy.js LISTEN_PORT UPSTREAM_PORT S3RVER_DIR [SLOWDOWN_EVERY] [DROP_EVERY]
//
//   SLOWDOWN_EVERY N  every Nth request is answered 503 SlowDown (S3's XML)
//   DROP_EVERY M      every Mth request has its connection destroyed before
//                     any reply (the client sees an empty reply / reset)
//   (0 or absent: never). Every request is a line "METHOD URL [range=...]" on stdout. Each fault is a line "fault slowdown|drop METHOD URL"
//   on stderr, so the test can check that faults were injected.
//
// s3rver 3.7 has neither AbortMultipartUpload (it answers 405) nor
// ListMultipartUploads: the proxy answers both from s3rver's store
// (S3RVER_DIR/<bucket>/._S3rver_uploads/<UploadId>/key), removing an
// aborted upload's directory, so the test can check that no parts are left
// behind. Listens on 127.0.0.1 only.
const http = require('http');
const fs = require('fs');
const path = require('path');

const [listenPort, upPort, dir, slowEvery = '0', dropEvery = '0'] = process.argv.slice(2);
let n = 0, slowed = 0, dropped = 0;

const server = http.createServer((req, res) => {
  n++;
  process.stdout.write(`${req.method} ${req.url}${req.headers.range ? ' range=' + req.headers.range : ''}\n`);
  const url = new URL(req.url, 'http://x');
  if (+slowEvery > 0 && n % +slowEvery === 0) {
    slowed++;
    process.stderr.write(`fault slowdown ${req.method} ${req.url}\n`);
    req.resume();
    res.writeHead(503, { 'Content-Type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>' +
            '<Message>Please reduce your request rate.</Message></Error>');
    return;
  }
  if (+dropEvery > 0 && n % +dropEvery === 0) {
    dropped++;
    process.stderr.write(`fault drop ${req.method} ${req.url}\n`);
    req.socket.destroy();
    return;
  }
  if (req.method === 'GET' && url.searchParams.has('uploads')) {
    // ListMultipartUploads, from s3rver's upload directories (one page).
    const bucket = url.pathname.split('/')[1];
    const prefix = url.searchParams.get('prefix') || '';
    const updir = path.join(dir, bucket, '._S3rver_uploads');
    let body = '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>' + bucket +
               '</Bucket><IsTruncated>false</IsTruncated>';
    for (const id of fs.existsSync(updir) ? fs.readdirSync(updir) : []) {
      let key;
      try { key = fs.readFileSync(path.join(updir, id, 'key')).toString(); } catch (e) { continue; }
      if (key.startsWith(prefix)) body += `<Upload><Key>${key}</Key><UploadId>${id}</UploadId></Upload>`;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      res.end(body + '</ListMultipartUploadsResult>');
    });
    return;
  }
  if (req.method === 'DELETE' && url.searchParams.has('uploadId')) {
    const bucket = url.pathname.split('/')[1];
    const id = url.searchParams.get('uploadId');
    const up = path.join(dir, bucket, '._S3rver_uploads', path.basename(id));
    req.resume();
    req.on('end', () => {
      const existed = fs.existsSync(up);
      fs.rmSync(up, { recursive: true, force: true });
      res.writeHead(existed ? 204 : 404, { 'Content-Type': 'application/xml' });
      res.end(existed ? '' : '<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>');
    });
    return;
  }
  const up = http.request({ host: '127.0.0.1', port: +upPort, method: req.method, path: req.url,
                            headers: req.headers }, ur => {
    res.writeHead(ur.statusCode, ur.headers);
    ur.pipe(res);
  });
  up.on('error', () => req.socket.destroy());
  req.pipe(up);
});
server.keepAliveTimeout = 5000;
server.listen(+listenPort, '127.0.0.1');
process.on('SIGTERM', () => {
  process.stderr.write(`counts slowdown=${slowed} dropped=${dropped}\n`);
  process.exit(0);
});
