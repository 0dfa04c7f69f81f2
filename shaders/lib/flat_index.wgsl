// Global invocation index of a 1-D dispatch folded into x/y (src/gpu/program.ts layoutDispatch);
// WG is the including program's workgroup-size override.
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid.x;
}
