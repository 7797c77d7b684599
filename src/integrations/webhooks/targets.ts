/**
 * Where a webhook may point (API.md "Targets"): https only unless WEBHOOK_ALLOW_INSECURE (then
 * also http and loopback); private networks only with WEBHOOK_ALLOW_PRIVATE_NETWORKS; link-local,
 * metadata and other special addresses never. A name is resolved and every address checked, when
 * the URL is set and again at each attempt, on the address the socket connects to.
 */
import dns from 'node:dns';
import net, { BlockList } from 'node:net';

export interface TargetPolicy {
  allowInsecure: boolean;
  allowPrivateNetworks: boolean;
}

const never = new BlockList();
never.addSubnet('0.0.0.0', 8, 'ipv4');
never.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, cloud metadata (169.254.169.254)
never.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
never.addSubnet('224.0.0.0', 3, 'ipv4'); // multicast and reserved, broadcast
never.addAddress('::', 'ipv6');
never.addSubnet('fe80::', 10, 'ipv6'); // link-local
never.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
never.addSubnet('ff00::', 8, 'ipv6'); // multicast

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const privateNetworks = new BlockList();
privateNetworks.addSubnet('10.0.0.0', 8, 'ipv4');
privateNetworks.addSubnet('172.16.0.0', 12, 'ipv4');
privateNetworks.addSubnet('192.168.0.0', 16, 'ipv4');
privateNetworks.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
privateNetworks.addSubnet('fc00::', 7, 'ipv6');

/** Why this address may not be reached, or null. */
export function addressRefusal(address: string, policy: TargetPolicy): string | null {
  const family = net.isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  // An IPv4 address written as IPv6 (::ffff:10.0.0.1, or ::ffff:a00:1 as URL writes it) is
  // judged as the IPv4 address it is.
  const mapped = ipv4Mapped(address);
  const [ip, type] = mapped
    ? [mapped, 'ipv4' as const]
    : [address, family === 4 ? ('ipv4' as const) : ('ipv6' as const)];
  if (never.check(ip, type)) return `${ip} is a link-local, metadata or reserved address, never allowed`;
  if (loopback.check(ip, type)) {
    return policy.allowInsecure
      ? null
      : `${ip} is a loopback address (allowed only with WEBHOOK_ALLOW_INSECURE=true)`;
  }
  if (privateNetworks.check(ip, type)) {
    return policy.allowPrivateNetworks
      ? null
      : `${ip} is in a private network (allowed only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true)`;
  }
  return null;
}

function ipv4Mapped(address: string): string | null {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Why this URL may not be a webhook's target (before any name is resolved), or null. */
export function urlRefusal(value: string, policy: TargetPolicy): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowInsecure)) {
    return policy.allowInsecure ? 'the scheme must be https or http' : 'the scheme must be https';
  }
  if (url.username !== '' || url.password !== '') return 'a URL must not hold a user name or password';
  if (url.hash !== '') return 'a URL must not have a fragment';
  return null;
}

/** The host as the socket sees it: without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

const LOOKUP_TIMEOUT_MS = 5000;

/** Every address of a name (both families), or the reason it has none. */
export async function resolveAll(host: string): Promise<{ addresses: string[] } | { refusal: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      dns.promises.lookup(host, { all: true, verbatim: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })),
          LOOKUP_TIMEOUT_MS,
        );
      }),
    ]);
    return { addresses: found.map((entry) => entry.address) };
  } catch (error) {
    return { refusal: `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    clearTimeout(timer);
  }
}

/** The whole check of a URL: its form, then every address its host has now. */
export async function targetRefusal(value: string, policy: TargetPolicy): Promise<string | null> {
  const form = urlRefusal(value, policy);
  if (form !== null) return form;
  const host = hostOf(new URL(value));
  if (net.isIP(host) !== 0) return addressRefusal(host, policy);
  const resolved = await resolveAll(host);
  if ('refusal' in resolved) return resolved.refusal;
  for (const address of resolved.addresses) {
    const refusal = addressRefusal(address, policy);
    if (refusal !== null) return `${host} resolves to ${address}: ${refusal}`;
  }
  return null;
}
