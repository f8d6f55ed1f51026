"""Expected number of collisions Nc (= Pc for an isolated conjunction) by integrating the
collision rate over time: Hall (2021) "3D-Nc" with two-body (curvilinear) motion, and the
"2D-Nc" variant with rectilinear motion.

References
----------
D. T. Hall, "Expected Collision Rates for Tracked Satellites", Journal of Spacecraft and
Rockets 58(3):715-728, 2021 (doi:10.2514/1.A34919).  D. Hall, L. Baars, S. Casali, "A
Multistep Probability of Collision Computational Algorithm", AAS 23-398, 2023.
V. T. Coppola, "Including Velocity Uncertainty in the Probability of Collision Between Space
Objects", AAS 12-247, 2012 (the unit-sphere flux integral).

Method (as described in those papers and in NASA CARA's Pc3D_Hall documentation)
------------------------------------------------------------------------------
* Each object's state PDF is a Gaussian in *equinoctial* elements (n, af, ag, chi, psi, lM)
  at TCA: Q = K P K^T with K = (dX/dE)^-1 at the mean state.  Under two-body motion only the
  mean longitude drifts (lM = lM0 + n t), so at any time t the Cartesian PDF is the image of
  that Gaussian, which is not Gaussian in Cartesian space.
* At each time t the two PDFs are linearised about "expansion centres" found iteratively: the
  peak-overlap position (POP) of the two position PDFs, with each object's conditional mean
  velocity there.  Each object's mean and covariance at t are then
  x_u = x_s + J_s (E0 - E_s0),   P_s = J_s Q J_s^T,   J_s = dX(t)/dE0 at the expansion centre.
* The collision rate is the inward probability flux through the hard-body sphere of radius R
  around the relative position (Coppola 2012):
      dNc/dt = R^2 \u222e N3(R u; mu_r, A) E[max(0, -u.v) | r = R u] d\u03a9,
  with A, B, C the position, cross and velocity blocks of the relative covariance and the
  conditional velocity mean mu_v + B A^-1 (R u - mu_r), covariance C - B A^-1 B^T.
* Nc = \u222b dNc/dt dt over the encounter, by default with the trapezoid rule on the refined
  ephemeris grid documented for CARA's Pc3D_Hall (``time_integration="simpson"`` gives an
  adaptive Simpson integral).  Where the rate underflows on the whole initial grid (an
  encounter much shorter than the grid step), the refinement follows the log of the rate.
* The peak-overlap fixed-point iteration is adaptively under-relaxed (see ``_pop``).

The unit-sphere integral uses the 5810-point Lebedev rule (CARA's default) or, optionally,
a graded product rule (Gauss-Legendre in cos(theta) on panels graded about the PDF peak,
trapezoid in phi).

Units: metres, seconds; GM = 3.986004418e14 m^3/s^2 (EGM-96, as in CARA's tools).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

__all__ = ["NcResult", "nc_3d_hall", "nc_2d_hall", "nc_2d_linear", "cart_to_equinoctial",
           "equinoctial_to_cart"]

GM_M3_S2 = 3.986004418e14
_TWOPI = 2.0 * np.pi


@dataclass
class NcResult:
    value: float
    method: str
    converged: bool
    flags: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# Equinoctial elements (Broucke & Cefola 1972), prograde set, n as the first element
# --------------------------------------------------------------------------------------


def cart_to_equinoctial(r, v, gm=GM_M3_S2):
    """(…,3) r [m], v [m/s] -> (…,6) E = (n [rad/s], af, ag, chi, psi, lM [rad, 0..2pi))."""
    r = np.asarray(r, float)
    v = np.asarray(v, float)
    rmag = np.linalg.norm(r, axis=-1)
    v2 = np.sum(v * v, axis=-1)
    a = 1.0 / (2.0 / rmag - v2 / gm)
    h = np.cross(r, v)
    w = h / np.linalg.norm(h, axis=-1, keepdims=True)
    chi = w[..., 0] / (1.0 + w[..., 2])
    psi = -w[..., 1] / (1.0 + w[..., 2])
    f, g = _fg(chi, psi)
    evec = np.cross(v, h) / gm - r / rmag[..., None]
    af = np.sum(evec * f, axis=-1)
    ag = np.sum(evec * g, axis=-1)
    X1 = np.sum(r * f, axis=-1)
    Y1 = np.sum(r * g, axis=-1)
    e2 = af * af + ag * ag
    s = np.sqrt(1.0 - e2)
    beta = 1.0 / (1.0 + s)
    cosF = af + ((1.0 - af * af * beta) * X1 - af * ag * beta * Y1) / (a * s)
    sinF = ag + ((1.0 - ag * ag * beta) * Y1 - af * ag * beta * X1) / (a * s)
    F = np.arctan2(sinF, cosF)
    lM = np.mod(F + ag * cosF - af * sinF, _TWOPI)
    n = np.sqrt(gm / a**3)
    return np.stack([n, af, ag, chi, psi, lM], axis=-1)


def _fg(chi, psi):
    d = 1.0 + chi * chi + psi * psi
    f = np.stack([1.0 - chi * chi + psi * psi, 2.0 * chi * psi, -2.0 * chi], axis=-1) / d[..., None]
    g = np.stack([2.0 * chi * psi, 1.0 + chi * chi - psi * psi, 2.0 * psi], axis=-1) / d[..., None]
    return f, g


def equinoctial_to_cart(E, gm=GM_M3_S2):
    """(…,6) equinoctial -> (…,6) Cartesian [m, m/s]."""
    E = np.asarray(E, float)
    n, af, ag, chi, psi, lM = (E[..., k] for k in range(6))
    a = np.cbrt(gm / (n * n))
    # Kepler's equation in equinoctial form: lM = F + ag cos F - af sin F
    F = lM.copy()
    for _ in range(50):
        cF, sF = np.cos(F), np.sin(F)
        fval = F + ag * cF - af * sF - lM
        fder = 1.0 - ag * sF - af * cF
        dF = fval / fder
        F = F - dF
        if np.all(np.abs(dF) < 1e-15):
            break
    cF, sF = np.cos(F), np.sin(F)
    e2 = af * af + ag * ag
    beta = 1.0 / (1.0 + np.sqrt(1.0 - e2))
    X1 = a * ((1.0 - ag * ag * beta) * cF + ag * af * beta * sF - af)
    Y1 = a * ((1.0 - af * af * beta) * sF + ag * af * beta * cF - ag)
    rmag = a * (1.0 - af * cF - ag * sF)
    k = n * a * a / rmag
    Xd = k * (ag * af * beta * cF - (1.0 - ag * ag * beta) * sF)
    Yd = k * ((1.0 - af * af * beta) * cF - ag * af * beta * sF)
    f, g = _fg(chi, psi)
    r = X1[..., None] * f + Y1[..., None] * g
    v = Xd[..., None] * f + Yd[..., None] * g
    return np.concatenate([r, v], axis=-1)


def _state_at(E0, dt, gm):
    """Cartesian state at times dt (…,) from epoch elements E0 (…,6)."""
    E = np.array(E0, float, copy=True)
    E[..., 5] = E[..., 5] + E[..., 0] * dt
    return equinoctial_to_cart(E, gm)


_STEPS = np.array([1e-6, 1e-7, 1e-7, 1e-7, 1e-7, 1e-7])


def _jac_E0_to_Xt(E0, dt, gm):
    """dX(t)/dE0 by central differences.  E0 (m,6), dt (m,) -> J (m,6,6), X (m,6)."""
    E0 = np.asarray(E0, float)
    m = E0.shape[0]
    X = _state_at(E0, dt, gm)
    J = np.empty((m, 6, 6))
    for k in range(6):
        h = _STEPS[k] * (E0[:, 0] if k == 0 else np.ones(m))
        Ep = E0.copy()
        Em = E0.copy()
        Ep[:, k] += h
        Em[:, k] -= h
        J[:, :, k] = (_state_at(Ep, dt, gm) - _state_at(Em, dt, gm)) / (2.0 * h)[:, None]
    return J, X


def _retrograde_reorient(r1, v1, C1, r2, v2, C2):
    """Rotate axes when either orbit is within 1e-6 of exactly retrograde (equinoctial
    singularity), as CARA does for the Alfano (2009) cases."""

    def retro(r, v):
        h = np.cross(r, v)
        return 1.0 + h[2] / np.linalg.norm(h) < 1e-6

    if not (retro(r1, v1) or retro(r2, v2)):
        return r1, v1, C1, r2, v2, C2, False
    M3 = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    M6 = np.zeros((6, 6))
    M6[:3, :3] = M3
    M6[3:, 3:] = M3
    return (M3 @ r1, M3 @ v1, M6 @ C1 @ M6.T, M3 @ r2, M3 @ v2, M6 @ C2 @ M6.T, True)


def _clip_inv3(A, lclip):
    """Inverse and determinant of symmetric (m,3,3) with eigenvalues clipped at lclip
    (non-finite matrices give a zero inverse and infinite determinant)."""
    A = np.asarray(A, float)
    fin = np.all(np.isfinite(A), axis=(-1, -2))
    if not fin.all():
        A = np.where(fin[..., None, None], A, np.eye(3))
        inv, det = _clip_inv3(A, lclip)
        inv = np.where(fin[..., None, None], inv, 0.0)
        return inv, np.where(fin, det, np.inf)
    w, V = np.linalg.eigh(A)
    w = np.maximum(w, lclip)
    inv = np.einsum("mij,mj,mkj->mik", V, 1.0 / w, V)
    return inv, np.prod(w, axis=-1)


# --------------------------------------------------------------------------------------
# Unit-sphere quadrature
# --------------------------------------------------------------------------------------


_GL6_X, _GL6_W = np.polynomial.legendre.leggauss(6)


def _graded_nodes(a, b, centers, floors, ratio=4.0):
    """Gauss-Legendre nodes/weights on [a, b] with panels graded geometrically towards each
    centre c_i down to width floors[i] (resolves kinks and narrow peaks)."""
    edges = [a, b]
    L = b - a
    for c, f in zip(centers, floors):
        if not (a <= c <= b):
            continue
        edges.append(c)
        w = max(f, 1e-14 * L)
        while w < L:
            edges += [c - w, c + w]
            w *= ratio
    e = np.unique(np.clip(np.asarray(edges), a, b))
    lo, hi = e[:-1], e[1:]
    x = (0.5 * (lo + hi))[:, None] + (0.5 * (hi - lo))[:, None] * _GL6_X[None, :]
    w = (0.5 * (hi - lo))[:, None] * _GL6_W[None, :]
    return x.ravel(), w.ravel()


def _sphere_nodes(vhat, peak_dir, kink_w, peak_w):
    """Unit-sphere nodes (k,3) and weights (k,) (sum 4 pi).  Pole along the relative velocity
    (the flux factor max(0, -u.v) has its kink on the equator, smoothed over ~kink_w), panels
    graded towards the equator and towards the PDF peak direction (angular width ~peak_w)."""
    rot = _pole_rotation(vhat[None])[0]
    pd = rot.T @ peak_dir
    u_peak = float(np.clip(pd[2], -1, 1))
    phi0 = float(np.arctan2(pd[1], pd[0]))
    centers, floors = [0.0], [kink_w]
    if peak_w < 0.3:
        centers.append(u_peak)
        floors.append(peak_w * peak_w if abs(u_peak) > 0.999 else peak_w)
    u, wu = _graded_nodes(-1.0, 1.0, centers, floors)
    if peak_w < 0.3:
        d, wphi = _graded_nodes(-np.pi, np.pi, [0.0], [peak_w])
        phi = phi0 + d
    else:
        nphi = 64
        phi = (np.arange(nphi) + 0.5) * _TWOPI / nphi
        wphi = np.full(nphi, _TWOPI / nphi)
    st = np.sqrt(np.clip(1.0 - u * u, 0.0, None))
    nodes = np.stack([np.outer(st, np.cos(phi)), np.outer(st, np.sin(phi)),
                      np.outer(u, np.ones(phi.size))], axis=-1).reshape(-1, 3)
    return nodes @ rot.T, np.outer(wu, wphi).reshape(-1)


def _pole_rotation(d):
    """Rotation matrices (m,3,3) taking +z to unit vectors d (m,3)."""
    d = d / np.linalg.norm(d, axis=-1, keepdims=True)
    a = np.where(np.abs(d[:, :1]) < 0.9, np.array([[1.0, 0, 0]]), np.array([[0, 1.0, 0]]))
    e1 = np.cross(a, d)
    e1 /= np.linalg.norm(e1, axis=-1, keepdims=True)
    e2 = np.cross(d, e1)
    return np.stack([e1, e2, d], axis=-1)


_LEBEDEV: dict = {}


def _lebedev_nodes(order: int = 131):
    """Lebedev-Laikov unit-sphere rule (order 131 = 5810 points, CARA's default degree),
    from scipy; nodes (k,3) fixed in the inertial axes, weights sum to 4 pi."""
    if order not in _LEBEDEV:
        from scipy.integrate import lebedev_rule

        x, w = lebedev_rule(order)
        _LEBEDEV[order] = (np.ascontiguousarray(x.T), np.asarray(w))
    return _LEBEDEV[order]


def _ncdot(ru, vu, P, R, lclip, sphere_rule: str = "graded", out_log=None):
    """Collision rate for relative mean position ru (m,3), velocity vu (m,3) and relative
    6x6 covariance P (m,6,6), sphere radius R.  Returns (ncdot (m,), md2 (m,)).  When
    ``out_log`` (m,) is given, the natural log of the rate is written into it (finite even
    where the rate underflows to 0; -inf where it is exactly 0, nan where undefined).

    ``sphere_rule``: "graded" (product rule, pole on the relative velocity, panels graded to
    the flux kink and the PDF peak) or "lebedev" (5810-point Lebedev rule fixed in the
    inertial axes, as CARA's Pc3D_Hall uses by default)."""
    m = ru.shape[0]
    A = P[:, :3, :3]
    Bm = P[:, 3:, :3]
    Cm = P[:, 3:, 3:]
    Ainv, Adet = _clip_inv3(A, lclip)
    logZ = 0.5 * np.log((_TWOPI**3) * Adet)
    Q1 = Bm @ Ainv
    Q2 = Cm - Q1 @ np.swapaxes(Bm, -1, -2)
    md2 = np.einsum("mi,mij,mj->m", ru, Ainv, ru)
    out = np.zeros(m)
    sqrt2 = np.sqrt(2.0)
    for i in range(m):
        if not (np.all(np.isfinite(P[i])) and np.all(np.isfinite(ru[i]))
                and np.all(np.isfinite(vu[i]))):
            out[i] = np.nan
            if out_log is not None:
                out_log[i] = np.nan
            continue
        vmag = np.linalg.norm(vu[i])
        peak = Ainv[i] @ ru[i]
        pn = np.linalg.norm(peak)
        peak = peak / pn if pn > 0 else np.array([0.0, 0.0, 1.0])
        vhat = vu[i] / vmag if vmag > 0 else np.cross(peak, [1.0, 0.0, 0.0]) + 1e-3
        vhat = vhat / np.linalg.norm(vhat)
        sv = np.sqrt(max(np.trace(Q2[i]) / 3.0, 0.0))
        kink_w = min(0.1, max(1e-12, 0.1 * sv / vmag)) if vmag > 0 else 0.1
        smin = np.sqrt(max(np.linalg.eigvalsh(A[i])[0], lclip))
        peak_w = 0.1 * smin / R
        if sphere_rule == "lebedev":
            uh, w = _lebedev_nodes()
        else:
            uh, w = _sphere_nodes(vhat, peak, kink_w, peak_w)
        dr = R * uh - ru[i]
        md = np.sum((dr @ Ainv[i]) * dr, axis=1)
        sig2 = np.sum((uh @ Q2[i]) * uh, axis=1)
        nu0 = uh @ vu[i] + np.sum(uh * (dr @ Q1[i].T), axis=1)
        pos = sig2 > 0
        sig = np.sqrt(np.where(pos, sig2, 1.0))
        nus = nu0 / (sig * sqrt2)
        Hf = np.exp(-nus * nus) - np.sqrt(np.pi) * nus * special.erfc(nus)
        nu = np.where(pos, sig * Hf / np.sqrt(_TWOPI), np.maximum(0.0, -nu0))
        integ = nu * np.exp(-(logZ[i] + 0.5 * md))
        out[i] = R * R * (integ @ w)
        if out_log is not None:
            # the same sum scaled by its largest exponent, so that its log stays finite
            # where the rate itself underflows (peaks far narrower than the time grid)
            mdmin = float(np.min(md))
            sc = (nu * np.exp(-0.5 * (md - mdmin))) @ w
            out_log[i] = (np.log(R * R * sc) - logZ[i] - 0.5 * mdmin) if sc > 0 else -np.inf
    return out, md2


# --------------------------------------------------------------------------------------
# Peak-overlap position (expansion centres), vectorised over time points
# --------------------------------------------------------------------------------------


def _wrap_dl(lb, ls):
    return np.arcsin(np.sin(lb) * np.cos(ls) - np.cos(lb) * np.sin(ls))


def _pop(t, E01, Q1, E02, Q2, R, lclip, gm, maxiter=100, tol=1e-6):
    """Expansion-centre linearisation at times t (m,).  Returns ru, vu (m,3), P (m,6,6), conv."""
    m = t.shape[0]
    Eb = [np.broadcast_to(E01, (m, 6)).copy(), np.broadcast_to(E02, (m, 6)).copy()]
    Qs = [Q1, Q2]
    Es0 = [e.copy() for e in Eb]
    J, X = [], []
    for k in range(2):
        j, x = _jac_E0_to_Xt(Es0[k], t, gm)
        J.append(j)
        X.append(x)
    xs = [X[0].copy(), X[1].copy()]
    I3 = np.eye(3)
    sig_rem0 = (R * R) * I3
    conv = np.zeros(m, bool)
    failed = np.zeros(m, bool)
    active = np.ones(m, bool)
    mup_old = np.full((m, 3), np.nan)
    mup_old2 = np.full((m, 3), np.nan)
    # adaptive under-relaxation of the fixed-point step (1 = the plain iteration): x0.5 when
    # the step grows, x1.25 (up to 1) when it shrinks, x0.25 and retry when the new
    # expansion centre is not a bound orbit.
    lam = np.ones(m)
    lam_min = 0.25
    prev_step = np.full(m, np.inf)
    avgiter, acciter, osciter = 35, 25, 15
    tol2 = 1e-3
    for it in range(maxiter + 1):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        xu, Ps, Ainv = [], [], []
        for k in range(2):
            if it == 0:
                dE = np.zeros((idx.size, 6))
            else:
                dE = Eb[k][idx] - Es0[k][idx]
                dE[:, 5] = _wrap_dl(Eb[k][idx, 5], Es0[k][idx, 5])
            xu.append(xs[k][idx] + np.einsum("mij,mj->mi", J[k][idx], dE))
            p = J[k][idx] @ Qs[k] @ np.swapaxes(J[k][idx], -1, -2)
            p = 0.5 * (p + np.swapaxes(p, -1, -2))
            Ps.append(p)
            Ainv.append(_clip_inv3(p[:, :3, :3], lclip)[0])
        Sinv = Ainv[0] + Ainv[1]
        Sig = np.linalg.inv(Sinv)
        mup = np.einsum("mij,mj->mi", Sig, np.einsum("mij,mj->mi", Ainv[0], xu[0][:, :3])
                        + np.einsum("mij,mj->mi", Ainv[1], xu[1][:, :3]))
        if it > avgiter:
            mup = 0.5 * (mup + mup_old[idx])
        lam_i = lam[idx].copy()
        if it > 0:
            mup = mup_old[idx] + lam_i[:, None] * (mup - mup_old[idx])
        vp = []
        for k in range(2):
            Bk = Ps[k][:, 3:, :3]
            vp.append(xu[k][:, 3:] + np.einsum("mij,mj->mi", Bk @ Ainv[k], mup - xu[k][:, :3]))
        SremInv = np.linalg.inv(Sig + sig_rem0)
        done = np.zeros(idx.size, bool)
        if it > 0:
            d = (mup_old[idx] - mup) / lam_i[:, None]  # the undamped step
            dmd2 = np.einsum("mi,mij,mj->m", d, SremInv, d)
            done = dmd2 <= tol
            grow = dmd2 > prev_step[idx]
            lam[idx] = np.where(grow, np.maximum(0.5 * lam_i, lam_min), np.minimum(1.25 * lam_i, 1.0))
            prev_step[idx] = dmd2
            if it > osciter:
                # accept back-and-forth oscillation, then relax the tolerance gradually
                # from tol to tol2 between iterations acciter and avgiter
                d2 = mup_old2[idx] - mup
                done |= (np.einsum("mi,mij,mj->m", d2, SremInv, d2) <= tol) & (lam_i == 1.0)
                if it > avgiter:
                    cut = tol2
                elif it <= acciter:
                    cut = tol
                else:
                    frc = (it - acciter) / (avgiter - acciter)
                    cut = np.exp((1 - frc) * np.log(tol) + frc * np.log(tol2))
                done |= dmd2 <= cut
        # new expansion centres (unbound or undefined orbits end the iteration: failure)
        Eks = []
        with np.errstate(invalid="ignore", divide="ignore"):
            for k in range(2):
                Ek = cart_to_equinoctial(mup, vp[k], gm)
                Ek[:, 5] = np.mod(Ek[:, 5] - Ek[:, 0] * t[idx], _TWOPI)
                Eks.append(Ek)
        bad = np.zeros(idx.size, bool)
        for Ek in Eks:
            bad |= ~np.all(np.isfinite(Ek), axis=1) | (Ek[:, 1] ** 2 + Ek[:, 2] ** 2 >= 1.0)
        good = ~bad
        for k in range(2):
            if good.any():
                gi = idx[good]
                xs[k][gi] = np.concatenate([mup[good], vp[k][good]], axis=1)
                Es0[k][gi] = Eks[k][good]
                j, _ = _jac_E0_to_Xt(Eks[k][good], t[gi], gm)
                J[k][gi] = j
        retry = bad & (lam_i > lam_min) & (it > 0)
        lam[idx[retry]] = np.maximum(0.25 * lam_i[retry], lam_min)
        prev_step[idx[retry]] = np.inf
        give_up = bad & ~retry
        failed[idx[give_up]] = True
        active[idx[give_up]] = False
        done &= good
        upd = idx[good]
        mup_old2[upd] = mup_old[upd]
        mup_old[upd] = mup[good]
        conv[idx[done]] = True
        active[idx[done]] = False
    # final linearisation at the converged centres
    out_x, out_P = [], []
    for k in range(2):
        dE = Eb[k] - Es0[k]
        dE[:, 5] = _wrap_dl(Eb[k][:, 5], Es0[k][:, 5])
        out_x.append(xs[k] + np.einsum("mij,mj->mi", J[k], dE))
        p = J[k] @ Qs[k] @ np.swapaxes(J[k], -1, -2)
        out_P.append(0.5 * (p + np.swapaxes(p, -1, -2)))
    ru = out_x[1][:, :3] - out_x[0][:, :3]
    vu = out_x[1][:, 3:] - out_x[0][:, 3:]
    return ru, vu, out_P[0] + out_P[1], conv


# --------------------------------------------------------------------------------------
# Time integration
# --------------------------------------------------------------------------------------


def _simpson(t, y):
    h = np.diff(t)
    return np.sum(h[::2] / 3.0 * (y[:-2:2] + 4 * y[1:-1:2] + y[2::2])) if len(t) >= 3 else 0.0


def _integrate_rate(rate_fn, ta, tb, n0=101, rtol=1e-5, max_points=6401):
    """Adaptive composite Simpson on [ta, tb], doubling the point count until converged.
    rate_fn(t) -> (rate (m,), ok (m,)).  Returns (Nc, t, rate, ok, converged)."""
    n = n0
    t = np.linspace(ta, tb, n)
    y, ok = rate_fn(t)
    prev = _simpson(t, y)
    while True:
        tm = 0.5 * (t[:-1] + t[1:])
        ym, okm = rate_fn(tm)
        tt = np.empty(2 * n - 1)
        yy = np.empty(2 * n - 1)
        oo = np.empty(2 * n - 1, bool)
        tt[::2], tt[1::2] = t, tm
        yy[::2], yy[1::2] = y, ym
        oo[::2], oo[1::2] = ok, okm
        t, y, ok, n = tt, yy, oo, 2 * n - 1
        cur = _simpson(t, y)
        if abs(cur - prev) <= rtol * abs(cur) or cur == 0.0:
            return cur, t, y, ok, True
        if n >= max_points:
            return cur, t, y, ok, False
        prev = cur


def coppola_bounds(r, v, A, R, gamma=1e-16):
    """Linear-trajectory conjunction time bounds (tau0, tau1) of Coppola (2012b, AAS 12-248,
    eqs 12-16) for relative position r, velocity v (3,) and relative position covariance
    A (3,3): the interval outside which a fraction < gamma of the collision probability lies."""
    vmag = np.linalg.norm(v)
    if vmag == 0:
        return -np.inf, np.inf
    x = v / vmag
    y = r - x * (x @ r)
    ny = np.linalg.norm(y)
    if ny == 0:
        y = np.cross(x, [1.0, 0, 0]) if abs(x[0]) < 0.9 else np.cross(x, [0, 1.0, 0])
        ny = np.linalg.norm(y)
    y = y / ny
    z = np.cross(x, y)
    M = np.stack([x, y, z])
    re = M @ r
    Ae = M @ A @ M.T
    eta2 = Ae[0, 0]
    w = Ae[1:, 0]
    b = np.linalg.solve(Ae[1:, 1:], w)
    sv2 = np.sqrt(max(0.0, 2.0 * (eta2 - b @ w)))
    q0 = b @ re[1:]
    btb = b @ b
    dmin = -R * np.sqrt(btb)
    dmax = R * np.sqrt(1.0 + btb)
    ac = special.erfcinv(gamma)
    return (-ac * sv2 + q0 - dmax) / vmag, (ac * sv2 + q0 - dmin) / vmag


def _rate3(rate_fn, t):
    """(rate, ok, log rate) from a rate function returning either (rate, ok) or
    (rate, ok, log_rate)."""
    res = rate_fn(t)
    if len(res) > 2:
        return res[0], res[1], np.asarray(res[2], float)
    y = np.asarray(res[0], float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return res[0], res[1], np.where(y > 0, np.log(np.where(y > 0, y, 1.0)), -np.inf)


def _integrate_rate_refined(rate_fn, t0, t1, tlo_lim, thi_lim, neph=101, max_refine=250):
    """Collision-rate time integral on a refined trapezoid grid, following the refinement
    rules documented for CARA's Pc3D_Hall: start from ``neph`` points over the Coppola
    bounds, extend the ends until the rate there is below the cutoff, bisect around rate
    peaks until neighbouring values agree within 20%, bisect where a point carries more
    than 2% of the trapezoid sum, then limit the step inside the significant span to 1/51 of
    that span.  Returns (Nc, t, rate, ok, converged)."""
    if t1 <= tlo_lim or t0 >= thi_lim:
        t0, t1 = tlo_lim, thi_lim
    else:
        t0, t1 = max(t0, tlo_lim), min(t1, thi_lim)
    t = np.linspace(t0, t1, neph)
    y, ok, ly = _rate3(rate_fn, t)
    dT0 = max((t1 - t0) / 2, abs(tlo_lim) / (max_refine / 3), abs(thi_lim) / (max_refine / 3))
    xg = np.sqrt(2.0) * special.erfcinv(1e-6)
    red = np.exp(-0.5 * xg * xg) / np.sqrt(_TWOPI)
    nspan = max(51, (neph - 1) // 2)
    converged = False
    for _ in range(max_refine):
        ymax = float(np.max(y))
        cut = ymax * red
        nmax = int(np.argmax(y))
        new: list[float] = []
        lyv = np.where(ok & np.isfinite(ly), ly, -np.inf)
        if ymax == 0 and np.isfinite(lyv).any():
            # the rate underflows at every grid point: the encounter is much shorter than
            # the grid step (e.g. a few-second GEO pass on a 43 s grid).  Bisect towards the
            # maximum of the log-rate until the rate is representable, or until the log-rate
            # peak is resolved (neighbours within 0.5 of it), in which case Nc is truly
            # negligible (< ~1e-300).
            k = int(np.argmax(lyv))
            if k == 0 and t[0] > tlo_lim:
                new = [max(t[0] - dT0, tlo_lim)]
            elif k == t.size - 1 and t[-1] < thi_lim:
                new = [min(t[-1] + dT0, thi_lim)]
            else:
                nb = [j for j in (k - 1, k + 1) if 0 <= j < t.size]
                if all(lyv[k] - lyv[j] < 0.5 for j in nb):
                    converged = True
                    break
                new = [0.5 * (t[j] + t[k]) for j in nb]
        elif ymax == 0:
            if t[0] > tlo_lim or t[-1] < thi_lim:
                new = list(np.linspace(tlo_lim, thi_lim, 2 * neph + 1))
            else:
                converged = True
                break
        elif nmax == 0 and t[0] > tlo_lim:
            new = [max(t[0] - dT0, tlo_lim)]
        elif nmax == t.size - 1 and t[-1] < thi_lim:
            new = [min(t[-1] + dT0, thi_lim)]
        elif y[0] > cut and t[0] > tlo_lim:
            new = [max(t[0] - dT0, tlo_lim)]
        elif y[-1] > cut and t[-1] < thi_lim:
            new = [min(t[-1] + dT0, thi_lim)]
        else:
            dm = np.concatenate([[np.inf], np.diff(y)])
            dp = np.concatenate([-np.diff(y), [np.inf]])
            peaks = np.nonzero((y > 0) & (dm > 0) & (dp > 0))[0]
            if peaks.size > 4:
                peaks = peaks[np.argsort(y[peaks])[::-1][:4]]
            for k in peaks:
                tol = 0.2 * y[k]
                if k > 0:
                    longer = k < t.size - 1 and (t[k] - t[k - 1]) >= 2 * (t[k + 1] - t[k])
                    if y[k] - y[k - 1] > tol or longer:
                        new.append(0.5 * (t[k] + t[k - 1]))
                if k < t.size - 1:
                    longer = k > 0 and (t[k + 1] - t[k]) >= 2 * (t[k] - t[k - 1])
                    if y[k] - y[k + 1] > tol or longer:
                        new.append(0.5 * (t[k] + t[k + 1]))
            if not new:
                df = np.diff(t)
                dt = np.concatenate([[df[0]], df[:-1] + df[1:], [df[-1]]]) / 2
                st = dt * y
                big = np.nonzero(st > 0.02 * st.sum())[0]
                for k in big:
                    if k == 0:
                        if t[0] > tlo_lim:
                            new.append(max(t[0] - dT0, tlo_lim))
                        new.append(0.5 * (t[0] + t[1]))
                    elif k == t.size - 1:
                        if t[-1] < thi_lim:
                            new.append(min(t[-1] + dT0, thi_lim))
                        new.append(0.5 * (t[-2] + t[-1]))
                    else:
                        new += [0.5 * (t[k - 1] + t[k]), 0.5 * (t[k + 1] + t[k])]
                if not big.size:
                    idx = np.nonzero(y > cut)[0]
                    if idx.size:
                        lo_i, hi_i = max(idx[0] - 1, 0), min(idx[-1] + 1, t.size - 1)
                        dtmax = (t[hi_i] - t[lo_i]) / nspan
                        for k in range(lo_i, hi_i + 1):
                            if k > 0 and t[k] - t[k - 1] > dtmax:
                                new.append(0.5 * (t[k] + t[k - 1]))
                            if k < t.size - 1 and t[k + 1] - t[k] > dtmax:
                                new.append(0.5 * (t[k + 1] + t[k]))
                    if not new:
                        converged = True
                        break
        tn = np.setdiff1d(np.unique(np.asarray(new, float)), t)
        if tn.size == 0:
            converged = True
            break
        yn, okn, lyn = _rate3(rate_fn, tn)
        t = np.concatenate([t, tn])
        order = np.argsort(t)
        t = t[order]
        y = np.concatenate([y, yn])[order]
        ok = np.concatenate([ok, okn])[order]
        ly = np.concatenate([ly, lyn])[order]
    return float(np.trapezoid(y, t)), t, y, ok, converged


def _window(mdfun, t_guess, half_period, sigma_t):
    """Time window where the Mahalanobis distance of the mean relative position is within
    ~60 of its minimum (collision rate within ~1e-13 of its peak)."""
    span = max(half_period, 10 * sigma_t)
    u = np.linspace(-1.0, 1.0, 1601)
    k = np.arcsinh(span / max(sigma_t, 1e-9))
    tg = t_guess + np.sign(u) * sigma_t * np.sinh(np.abs(u) * k)
    tg = tg[(tg >= -half_period) & (tg <= half_period)]
    md = mdfun(tg)
    good = np.isfinite(md)
    if not good.any():
        return -10 * sigma_t, 10 * sigma_t
    mmin = np.min(md[good])
    sel = np.nonzero(good & (md <= mmin + 60.0))[0]
    lo = max(sel[0] - 1, 0)
    hi = min(sel[-1] + 1, len(tg) - 1)
    return tg[lo], tg[hi]


def _equinoctial_setup(r, v, C, gm):
    E = cart_to_equinoctial(r, v, gm)
    J, _ = _jac_E0_to_Xt(E[None], np.zeros(1), gm)
    K = np.linalg.inv(J[0])
    Q = K @ C @ K.T
    return E, 0.5 * (Q + Q.T)


def _segment_limits(E1, E2, taum, p1, p2, gm):
    """Encounter segment: the maxima of the two-body mean separation |r2 - r1| that bracket
    TCA (and the Coppola midpoint); falls back to +-half the shorter period."""
    from scipy.optimize import minimize_scalar

    half = 0.5 * min(p1, p2)
    span = min(1.1 * max(p1, p2), 2.2 * min(p1, p2))
    ts = np.linspace(-span, span, 2001)

    def sep(t):
        t = np.atleast_1d(np.asarray(t, float))
        x1 = _state_at(np.broadcast_to(E1, (t.size, 6)).copy(), t, gm)
        x2 = _state_at(np.broadcast_to(E2, (t.size, 6)).copy(), t, gm)
        return np.linalg.norm(x2[:, :3] - x1[:, :3], axis=1)

    d = sep(ts)
    imax = np.nonzero((d[1:-1] > d[:-2]) & (d[1:-1] >= d[2:]))[0] + 1
    lo_c = imax[ts[imax] < min(0.0, taum)]
    hi_c = imax[ts[imax] > max(0.0, taum)]
    if lo_c.size == 0 or hi_c.size == 0:
        return -half, half
    out = []
    for i in (lo_c[-1], hi_c[0]):
        res = minimize_scalar(lambda t: -sep(t)[0], bounds=(ts[i - 1], ts[i + 1]),
                              method="bounded", options={"xatol": min(p1, p2) / 100})
        out.append(float(res.x))
    return min(out), max(out)


def nc_3d_hall(r1, v1, C1, r2, v2, C2, hbr_m, *, gm: float = GM_M3_S2,
               time_integration: str = "refined", rtol: float = 1e-5,
               t_initial: tuple[float, float] | None = None,
               t_limits: tuple[float, float] | None = None, neph: int = 101,
               sphere_rule: str = "lebedev") -> NcResult:
    """Hall (2021) 3D-Nc for one conjunction.

    r, v: (3,) inertial position [m] and velocity [m/s] at (nominal) TCA; C: (6,6) inertial
    covariance [m, m/s]; hbr_m: combined hard-body radius [m].

    ``time_integration``: ``"refined"`` (default) integrates the collision rate with the
    trapezoid rule on the refined ephemeris grid described for CARA's Pc3D_Hall (so results
    are comparable with CARA's to ~1e-4); ``"simpson"`` uses an adaptive Simpson rule to
    relative tolerance ``rtol`` (more accurate in the time integral: on CARA's test CDMs the
    two differ by ~8e-4, the trapezoid-on-graded-grid bias).

    ``t_initial`` overrides the Coppola (gamma = 1e-16) initial bounds, ``t_limits`` the
    encounter segment (seconds from TCA); ``neph`` is the initial number of time points.
    """
    r1, v1, r2, v2 = (np.asarray(x, float).reshape(3) for x in (r1, v1, r2, v2))
    C1 = np.asarray(C1, float)
    C2 = np.asarray(C2, float)
    R = float(hbr_m)
    if not R > 0:
        return NcResult(0.0 if R == 0 else float("nan"), "hall_2021_nc3d", R == 0)
    if np.isinf(R):
        return NcResult(1.0, "hall_2021_nc3d", True)
    r1, v1, C1, r2, v2, C2, reoriented = _retrograde_reorient(r1, v1, C1, r2, v2, C2)
    lclip = (1e-4 * R) ** 2
    E1, Q1 = _equinoctial_setup(r1, v1, C1, gm)
    E2, Q2 = _equinoctial_setup(r2, v2, C2, gm)
    warns: list[str] = []
    if not (np.all(np.isfinite(E1)) and np.all(np.isfinite(E2))):
        return NcResult(float("nan"), "hall_2021_nc3d", False,
                        warnings=["equinoctial elements undefined (unbound orbit?)"])
    p1 = _TWOPI / E1[0]
    p2 = _TWOPI / E2[0]
    rr = r2 - r1
    vv = v2 - v1
    tau0, tau1 = coppola_bounds(rr, vv, (C1 + C2)[:3, :3], R)
    if not (np.isfinite(tau0) and np.isfinite(tau1)) or tau0 >= tau1:
        half = 0.5 * min(p1, p2)
        tau0, tau1 = -half, half
        warns.append("Coppola conjunction bounds undefined; using +-half period")
    if t_initial is not None:
        tau0, tau1 = float(t_initial[0]), float(t_initial[1])
    if t_limits is not None:
        tlo, thi = float(t_limits[0]), float(t_limits[1])
    else:
        tlo, thi = _segment_limits(E1, E2, 0.5 * (tau0 + tau1), p1, p2, gm)

    pop_fail = [0]

    def rate_log(t):
        ru, vu, P, conv = _pop(t, E1, Q1, E2, Q2, R, lclip, gm)
        ly = np.empty(t.shape[0])
        nd, _ = _ncdot(ru, vu, P, R, lclip, sphere_rule, out_log=ly)
        good = np.isfinite(nd) & conv
        nd = np.where(good, nd, 0.0)
        ly = np.where(good, ly, -np.inf)
        pop_fail[0] += int(np.sum(~conv))
        return nd, conv, ly

    def rate(t):
        return rate_log(t)[:2]

    if time_integration == "laplace":
        return _laplace(rate, tau0, tau1, tlo, thi, warns, reoriented)
    if time_integration == "simpson":
        nc0, t, y, ok, conv = _integrate_rate_refined(rate_log, tau0, tau1, tlo, thi, neph=neph)
        ta, tb = t[0], t[-1]
        nc, t, y, ok, conv = _integrate_rate(rate, ta, tb, rtol=rtol)
    else:
        nc, t, y, ok, conv = _integrate_rate_refined(rate_log, tau0, tau1, tlo, thi, neph=neph)
    if pop_fail[0]:
        warns.append(f"peak-overlap iteration unconverged at {pop_fail[0]} time point(s)")
    if not conv:
        warns.append("time-integration refinement stopped before converging")
    imax = int(np.argmax(y))
    if y.max() > 0:
        # as documented for Pc3D_Hall: unconverged peak-overlap points are tolerated unless
        # they neighbour a point whose rate is above the duration cutoff
        xg = np.sqrt(2.0) * special.erfcinv(1e-6)
        cut = y.max() * np.exp(-0.5 * xg * xg) / np.sqrt(_TWOPI)
        above = np.nonzero(y >= cut)[0]
        bad_nb = [k for k in above if (k > 0 and not ok[k - 1]) or (k < y.size - 1 and not ok[k + 1])]
        converged = bool(conv and not bad_nb and ok.any())
    else:  # all-zero rate: trust it only if every peak-overlap iteration converged
        converged = bool(conv and ok.all())
    return NcResult(
        value=float(min(1.0, nc)) if converged or nc > 0 else float("nan"),
        method="hall_2021_nc3d",
        converged=converged,
        flags={"t_min_s": float(t[0]), "t_max_s": float(t[-1]), "n_eph": int(t.size),
               "t_peak_s": float(t[imax]), "coppola_tau0_s": float(tau0),
               "coppola_tau1_s": float(tau1), "segment_s": (float(tlo), float(thi)),
               "retrograde_reoriented": reoriented, "time_integration": time_integration},
        warnings=warns,
    )


def _laplace(rate, tau0, tau1, tlo, thi, warns, reoriented) -> NcResult:
    """Second-order (Laplace) expansion of log dNc/dt about its peak, integrated analytically:
    Nc = rate(t*) sqrt(2 pi / k), k = -d2/dt2 log rate at t* (Hall, Baars & Casali 2023)."""
    t = np.linspace(max(tau0, tlo), min(tau1, thi), 41)
    y, _ = rate(t)
    if not np.any(y > 0):
        return NcResult(0.0, "hall_2023_nc2d_laplace", True, warnings=warns)
    i = int(np.argmax(y))
    tc = t[i]
    h = max((t[-1] - t[0]) / 40.0, 1e-9)
    for _ in range(8):
        tt = np.array([tc - h, tc, tc + h])
        yy, _ = rate(tt)
        if np.any(yy <= 0):
            h *= 0.5
            continue
        ly = np.log(yy)
        d1 = (ly[2] - ly[0]) / (2 * h)
        d2 = (ly[2] - 2 * ly[1] + ly[0]) / (h * h)
        if d2 >= 0:
            h *= 0.5
            continue
        step = -d1 / d2
        tc = float(np.clip(tc + step, tlo, thi))
        sig = 1.0 / np.sqrt(-d2)
        if abs(step) < 1e-4 * sig:
            break
        h = min(h, 0.5 * sig)
    yy, _ = rate(np.array([tc - h, tc, tc + h]))
    ly = np.log(np.maximum(yy, 1e-320))
    d2 = (ly[2] - 2 * ly[1] + ly[0]) / (h * h)
    if not d2 < 0:
        return NcResult(float("nan"), "hall_2023_nc2d_laplace", False,
                        warnings=warns + ["collision-rate peak not found"])
    nc = yy[1] * np.sqrt(2 * np.pi / -d2)
    return NcResult(float(min(1.0, nc)), "hall_2023_nc2d_laplace", True,
                    flags={"t_peak_s": tc, "sigma_t_s": float(1 / np.sqrt(-d2)),
                           "retrograde_reoriented": reoriented}, warnings=warns)


def nc_2d_hall(r1, v1, C1, r2, v2, C2, hbr_m, *, gm: float = GM_M3_S2) -> NcResult:
    """2D-Nc in the sense of Hall, Baars & Casali (AAS 23-398): the 3D-Nc collision rate
    (two-body equinoctial PDFs, peak-overlap linearisation) expanded to second order in time
    about its peak and integrated analytically.  Valid for temporally isolated conjunctions;
    far cheaper than the 3D-Nc time integral."""
    return nc_3d_hall(r1, v1, C1, r2, v2, C2, hbr_m, gm=gm, time_integration="laplace")


def nc_2d_linear(r1, v1, C1, r2, v2, C2, hbr_m, *, rtol: float = 1e-6) -> NcResult:
    """Rectilinear 2D-Nc: the collision-rate integral of Hall (2021) / Coppola (2012) with
    straight-line relative motion r(t) = r0 + v t and the TCA relative 6x6 covariance held
    fixed (the short-encounter assumptions of the 2D-Pc).  Equals Foster's 2D-Pc when the
    velocity covariance is zero; the velocity covariance enters through the conditional
    relative velocity on the hard-body sphere.

    This is *not* CARA's Pc2D_Hall, which expands the equinoctial two-body PDF to second
    order about an effective TCA (Hall, Baars & Casali, AAS 23-398); on CARA's 20 reference
    CDMs the two agree where 2D assumptions hold (see docs/collision.md)."""
    r1, v1, r2, v2 = (np.asarray(x, float).reshape(3) for x in (r1, v1, r2, v2))
    C = np.asarray(C1, float) + np.asarray(C2, float)
    R = float(hbr_m)
    if not R > 0:
        return NcResult(0.0 if R == 0 else float("nan"), "hall_2021_nc2d_linear", R == 0)
    lclip = (1e-4 * R) ** 2
    rr = r2 - r1
    vv = v2 - v1
    Ainv0, _ = _clip_inv3(C[None, :3, :3], lclip)
    vAv = vv @ Ainv0[0] @ vv
    if not vAv > 0:
        return NcResult(float("nan"), "hall_2021_nc2d_linear", False,
                        warnings=["zero relative velocity"])
    t_c = -(vv @ Ainv0[0] @ rr) / vAv
    sigma_t = 1.0 / np.sqrt(vAv)

    def state(t):
        P = np.broadcast_to(C, (t.size, 6, 6))
        ru = rr[None] + t[:, None] * vv[None]
        return ru, np.broadcast_to(vv, ru.shape), P

    def md(t):
        ru, _, P = state(t)
        inv, _ = _clip_inv3(P[:, :3, :3], lclip)
        return np.einsum("mi,mij,mj->m", ru, inv, ru)

    big = 1e5 * sigma_t
    ta, tb = _window(md, t_c, big, sigma_t)

    def rate(t):
        ru, vu, P = state(t)
        nd, _ = _ncdot(ru, np.ascontiguousarray(vu), P, R, lclip)
        return nd, np.ones(t.size, bool)

    nc, t, y, ok, conv = _integrate_rate(rate, ta, tb, rtol=rtol)
    return NcResult(float(min(1.0, nc)), "hall_2021_nc2d_linear", conv,
                    flags={"t_min_s": float(ta), "t_max_s": float(tb), "n_eph": int(t.size)})
