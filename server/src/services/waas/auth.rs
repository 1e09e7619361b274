//! PDND voucher check for the WaaS e-service (ModI `ID_AUTH_REST_01`-style
//! bearer token, the only authentication the e-service accepts).
//!
//! A request passes only with `Authorization: Bearer <JWT>` where the JWT
//! - is RS256 (nothing else: no `none`, no HMAC, so no key confusion), with
//!   the configured `typ` (`at+jwt` for PDND vouchers);
//! - verifies with one of the comune's trusted public keys (the one whose
//!   `kid` matches, or any key configured without a `kid`);
//! - has `iss` among the trusted issuers and `aud` equal to **this comune's**
//!   e-service audience: a voucher issued for comune A is refused on comune
//!   B's base path;
//! - is within its validity (`exp`, `nbf`, and `iat` not in the future),
//!   with the configured clock skew;
//! - has a `sub`, and a `purposeId` among the accepted ones when the comune
//!   lists them.
//!
//! Anything else is a 401 `application/problem+json` with a
//! `WWW-Authenticate: Bearer` challenge. The token itself is never logged.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{decode, decode_header, errors::ErrorKind, Algorithm, Validation};
use serde::Deserialize;

use crate::config::VoucherPolicy;
use crate::problem::Problem;
use crate::services::AccessTags;

/// Longest `Authorization` value looked at (PDND vouchers are ~1 KB).
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The caller, once its voucher is verified (in the request extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voucher {
    /// `sub`: the PDND client.
    pub subject: String,
    pub client_id: Option<String>,
    pub purpose_id: Option<String>,
    pub consumer_id: Option<String>,
    pub jti: Option<String>,
    /// `exp`, Unix seconds.
    pub expires_at: i64,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header.
    Missing,
    /// Not `Bearer <token>`, or several `Authorization` headers.
    NotBearer,
    /// Not a JWT, or claims of the wrong type.
    Malformed,
    /// `alg` is not RS256.
    Algorithm,
    /// `typ` is not the configured one.
    TokenType,
    /// No trusted key has the token's `kid`.
    UnknownKey,
    /// The signature does not verify with any candidate key.
    Signature,
    Expired,
    NotYetValid,
    /// `iat` is in the future.
    IssuedInFuture,
    Issuer,
    /// Issued for another e-service (e.g. another comune).
    Audience,
    /// A required claim is missing.
    MissingClaim,
    /// `purposeId` not accepted by this comune.
    Purpose,
}

impl AuthError {
    /// Short code for the access log.
    pub fn code(self) -> &'static str {
        match self {
            AuthError::Missing => "missing",
            AuthError::NotBearer => "not_bearer",
            AuthError::Malformed => "malformed",
            AuthError::Algorithm => "algorithm",
            AuthError::TokenType => "token_type",
            AuthError::UnknownKey => "unknown_key",
            AuthError::Signature => "signature",
            AuthError::Expired => "expired",
            AuthError::NotYetValid => "not_yet_valid",
            AuthError::IssuedInFuture => "issued_in_future",
            AuthError::Issuer => "issuer",
            AuthError::Audience => "audience",
            AuthError::MissingClaim => "missing_claim",
            AuthError::Purpose => "purpose",
        }
    }

    /// What the caller is told.
    pub fn detail(self) -> &'static str {
        match self {
            AuthError::Missing => "A PDND voucher is required: Authorization: Bearer <token>.",
            AuthError::NotBearer => "The Authorization header must be a single `Bearer <token>`.",
            AuthError::Malformed => "The voucher is not a well-formed JWT.",
            AuthError::Algorithm => "The voucher must be signed with RS256.",
            AuthError::TokenType => "The voucher has the wrong `typ`.",
            AuthError::UnknownKey => "The voucher is signed with an unknown key (`kid`).",
            AuthError::Signature => "The voucher signature is not valid.",
            AuthError::Expired => "The voucher has expired.",
            AuthError::NotYetValid => "The voucher is not valid yet (`nbf`).",
            AuthError::IssuedInFuture => "The voucher is issued in the future (`iat`).",
            AuthError::Issuer => "The voucher is not issued by a trusted issuer.",
            AuthError::Audience => "The voucher is not issued for this e-service.",
            AuthError::MissingClaim => "The voucher lacks a required claim (iss, aud, sub, iat, exp).",
            AuthError::Purpose => "The voucher's purpose is not allowed on this e-service.",
        }
    }

    /// The 401 response.
    pub fn to_problem(self, realm: &str) -> Problem {
        // RFC 6750 §3: no error code when no credentials were sent.
        let challenge = match self {
            AuthError::Missing => format!("Bearer realm=\"{realm}\""),
            _ => format!(
                "Bearer realm=\"{realm}\", error=\"invalid_token\", error_description=\"{}\"",
                self.code()
            ),
        };
        Problem::new(StatusCode::UNAUTHORIZED, self.detail()).header(header::WWW_AUTHENTICATE, challenge)
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    // Optional here so that a missing claim is reported as such (the
    // validation requires them).
    sub: Option<String>,
    exp: Option<f64>,
    iat: Option<f64>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default, rename = "purposeId")]
    purpose_id: Option<String>,
    #[serde(default, rename = "consumerId")]
    consumer_id: Option<String>,
    #[serde(default)]
    jti: Option<String>,
}

/// Checks vouchers for one comune's e-service.
#[derive(Clone)]
pub struct VoucherVerifier {
    policy: VoucherPolicy,
    validation: Validation,
}

impl std::fmt::Debug for VoucherVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoucherVerifier")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl VoucherVerifier {
    pub fn new(policy: VoucherPolicy) -> VoucherVerifier {
        let mut v = Validation::new(Algorithm::RS256);
        v.leeway = policy.clock_skew.as_secs();
        v.validate_exp = true;
        v.validate_nbf = true;
        v.validate_aud = true;
        v.set_issuer(&policy.issuers);
        v.set_audience(&[policy.audience.as_str()]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        VoucherVerifier {
            policy,
            validation: v,
        }
    }

    /// Checks the `Authorization` header(s) of a request.
    pub fn verify_headers(&self, headers: &HeaderMap) -> Result<Voucher, AuthError> {
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let value = values.next().ok_or(AuthError::Missing)?;
        if values.next().is_some() {
            return Err(AuthError::NotBearer);
        }
        let value = value.to_str().map_err(|_| AuthError::NotBearer)?;
        let (scheme, token) = value.trim().split_once(' ').ok_or(AuthError::NotBearer)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::NotBearer);
        }
        self.verify(token.trim())
    }

    /// Checks a compact JWT.
    pub fn verify(&self, token: &str) -> Result<Voucher, AuthError> {
        if token.is_empty()
            || token.len() > MAX_TOKEN_LEN
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(AuthError::Malformed);
        }
        let head = decode_header(token).map_err(|_| AuthError::Malformed)?;
        if head.alg != Algorithm::RS256 {
            return Err(AuthError::Algorithm);
        }
        if let Some(want) = &self.policy.token_type {
            let typ = head.typ.as_deref().unwrap_or("");
            let typ = typ.strip_prefix("application/").unwrap_or(typ);
            if !typ.eq_ignore_ascii_case(want) {
                return Err(AuthError::TokenType);
            }
        }
        let candidates = self
            .policy
            .keys
            .iter()
            .filter(|k| k.kid.is_none() || k.kid == head.kid);
        let mut last = AuthError::UnknownKey;
        for key in candidates {
            match decode::<Claims>(token, &key.key, &self.validation) {
                Ok(data) => return self.check_claims(data.claims),
                Err(e) => match e.kind() {
                    ErrorKind::InvalidSignature => last = AuthError::Signature,
                    // The signature verified: the claims are wrong.
                    ErrorKind::ExpiredSignature => return Err(AuthError::Expired),
                    ErrorKind::ImmatureSignature => return Err(AuthError::NotYetValid),
                    ErrorKind::InvalidIssuer => return Err(AuthError::Issuer),
                    ErrorKind::InvalidAudience => return Err(AuthError::Audience),
                    ErrorKind::MissingRequiredClaim(_) => return Err(AuthError::MissingClaim),
                    ErrorKind::InvalidAlgorithm => return Err(AuthError::Algorithm),
                    _ => return Err(AuthError::Malformed),
                },
            }
        }
        Err(last)
    }

    fn check_claims(&self, c: Claims) -> Result<Voucher, AuthError> {
        let skew = self.policy.clock_skew.as_secs_f64();
        let iat = c.iat.ok_or(AuthError::MissingClaim)?;
        if iat > now_secs() + skew {
            return Err(AuthError::IssuedInFuture);
        }
        let subject = c
            .sub
            .filter(|s| !s.trim().is_empty())
            .ok_or(AuthError::MissingClaim)?;
        let exp = c.exp.ok_or(AuthError::MissingClaim)?;
        if !self.policy.purpose_ids.is_empty()
            && !c
                .purpose_id
                .as_ref()
                .is_some_and(|p| self.policy.purpose_ids.iter().any(|a| a == p))
        {
            return Err(AuthError::Purpose);
        }
        Ok(Voucher {
            subject,
            client_id: c.client_id,
            purpose_id: c.purpose_id,
            consumer_id: c.consumer_id,
            jti: c.jti,
            expires_at: exp as i64,
        })
    }
}

/// What the auth layer of one comune needs.
#[derive(Debug)]
pub struct ComuneAuth {
    pub belfiore: String,
    pub realm: String,
    pub verifier: VoucherVerifier,
}

/// Middleware: refuse the request unless its voucher is valid for this
/// comune; tag the response for the access log either way.
pub async fn require_voucher(State(auth): State<Arc<ComuneAuth>>, mut req: Request, next: Next) -> Response {
    let mut tags = AccessTags {
        service: super::SERVICE_NAME,
        tenant: Some(auth.belfiore.clone()),
        ..AccessTags::default()
    };
    let mut res = match auth.verifier.verify_headers(req.headers()) {
        Ok(voucher) => {
            tags.subject = Some(voucher.subject.clone());
            req.extensions_mut().insert(voucher);
            next.run(req).await
        }
        Err(e) => {
            tags.auth_error = Some(e.code());
            e.to_problem(&auth.realm).into_response()
        }
    };
    res.extensions_mut().insert(tags);
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrustedKey;
    use jsonwebtoken::{encode, DecodingKey, EncodingKey, Header};
    use serde_json::{json, Value};
    use std::path::PathBuf;
    use std::time::Duration;

    const PRIVATE_A: &str = include_str!("../../../tests/fixtures/TEST-ONLY-voucher-key-a.pem");
    const PUBLIC_A: &str = include_str!("../../../tests/fixtures/TEST-ONLY-voucher-key-a.pub.pem");
    const PRIVATE_B: &str = include_str!("../../../tests/fixtures/TEST-ONLY-voucher-key-b.pem");
    const PUBLIC_B: &str = include_str!("../../../tests/fixtures/TEST-ONLY-voucher-key-b.pub.pem");
    const AUD_A: &str = "https://api.example.it/waas/F205/v1";
    const AUD_B: &str = "https://api.example.it/waas/A010/v1";
    const ISS: &str = "interop.pagopa.it";

    fn key(pem: &str, kid: Option<&str>) -> TrustedKey {
        TrustedKey {
            kid: kid.map(str::to_string),
            pem: PathBuf::from("test.pem"),
            key: DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        }
    }

    fn policy(aud: &str) -> VoucherPolicy {
        VoucherPolicy {
            audience: aud.into(),
            issuers: vec![ISS.into()],
            keys: vec![key(PUBLIC_A, Some("kid-a"))],
            clock_skew: Duration::from_secs(60),
            token_type: Some("at+jwt".into()),
            purpose_ids: Vec::new(),
        }
    }

    fn now() -> i64 {
        now_secs() as i64
    }

    fn claims(aud: &str) -> Value {
        let t = now();
        json!({
            "iss": ISS, "aud": aud, "sub": "client-inps", "client_id": "client-inps",
            "purposeId": "purpose-1", "jti": "j-1", "iat": t, "nbf": t, "exp": t + 600
        })
    }

    fn sign_with(claims: &Value, private: &str, kid: Option<&str>, typ: Option<&str>) -> String {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = kid.map(str::to_string);
        h.typ = typ.map(str::to_string);
        encode(
            &h,
            claims,
            &EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    fn sign(claims: &Value) -> String {
        sign_with(claims, PRIVATE_A, Some("kid-a"), Some("at+jwt"))
    }

    fn with(mut c: Value, k: &str, v: Value) -> Value {
        c[k] = v;
        c
    }

    fn without(mut c: Value, k: &str) -> Value {
        c.as_object_mut().unwrap().remove(k);
        c
    }

    #[test]
    fn a_valid_voucher_passes() {
        let v = VoucherVerifier::new(policy(AUD_A));
        let got = v.verify(&sign(&claims(AUD_A))).unwrap();
        assert_eq!(got.subject, "client-inps");
        assert_eq!(got.purpose_id.as_deref(), Some("purpose-1"));
        // `aud` may be an array naming this e-service.
        let multi = with(claims(AUD_A), "aud", json!(["other", AUD_A]));
        assert!(v.verify(&sign(&multi)).is_ok());
    }

    #[test]
    fn time_claims_are_checked_with_the_skew() {
        let v = VoucherVerifier::new(policy(AUD_A));
        let t = now();
        let expired = with(with(claims(AUD_A), "exp", json!(t - 120)), "iat", json!(t - 700));
        assert_eq!(v.verify(&sign(&expired)), Err(AuthError::Expired));
        // Within the skew it still passes.
        let just = with(claims(AUD_A), "exp", json!(t - 30));
        assert!(v.verify(&sign(&just)).is_ok());
        let early = with(claims(AUD_A), "nbf", json!(t + 300));
        assert_eq!(v.verify(&sign(&early)), Err(AuthError::NotYetValid));
        let future = with(claims(AUD_A), "iat", json!(t + 300));
        assert_eq!(v.verify(&sign(&future)), Err(AuthError::IssuedInFuture));
        for k in ["exp", "iat", "sub", "iss", "aud"] {
            assert_eq!(
                v.verify(&sign(&without(claims(AUD_A), k))),
                Err(AuthError::MissingClaim),
                "{k}"
            );
        }
        let empty_sub = with(claims(AUD_A), "sub", json!(" "));
        assert_eq!(v.verify(&sign(&empty_sub)), Err(AuthError::MissingClaim));
        let bad_type = with(claims(AUD_A), "exp", json!("tomorrow"));
        assert!(v.verify(&sign(&bad_type)).is_err());
    }

    #[test]
    fn wrong_issuer_and_wrong_audience_are_refused() {
        let v = VoucherVerifier::new(policy(AUD_A));
        let iss = with(claims(AUD_A), "iss", json!("evil.example"));
        assert_eq!(v.verify(&sign(&iss)), Err(AuthError::Issuer));
        // Comune B's voucher on comune A's e-service.
        assert_eq!(v.verify(&sign(&claims(AUD_B))), Err(AuthError::Audience));
        let b = VoucherVerifier::new(policy(AUD_B));
        assert_eq!(b.verify(&sign(&claims(AUD_A))), Err(AuthError::Audience));
    }

    #[test]
    fn signatures_keys_and_algorithms() {
        let v = VoucherVerifier::new(policy(AUD_A));
        // Signed by someone else's key, claiming our kid.
        let forged = sign_with(&claims(AUD_A), PRIVATE_B, Some("kid-a"), Some("at+jwt"));
        assert_eq!(v.verify(&forged), Err(AuthError::Signature));
        // An unknown kid.
        let other = sign_with(&claims(AUD_A), PRIVATE_A, Some("kid-x"), Some("at+jwt"));
        assert_eq!(v.verify(&other), Err(AuthError::UnknownKey));
        // A tampered payload.
        let good = sign(&claims(AUD_A));
        let mut parts: Vec<&str> = good.split('.').collect();
        let evil_payload = {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(&with(claims(AUD_A), "sub", json!("intruder"))).unwrap())
        };
        parts[1] = &evil_payload;
        assert_eq!(v.verify(&parts.join(".")), Err(AuthError::Signature));
        // HS256 with the public key as secret (key confusion) and `none`.
        let mut h = Header::new(Algorithm::HS256);
        h.typ = Some("at+jwt".into());
        h.kid = Some("kid-a".into());
        let hs = encode(
            &h,
            &claims(AUD_A),
            &EncodingKey::from_secret(PUBLIC_A.as_bytes()).unwrap(),
        )
        .unwrap();
        assert_eq!(v.verify(&hs), Err(AuthError::Algorithm));
        let none = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"at+jwt"}"#),
            b64(&claims(AUD_A).to_string())
        );
        assert!(v.verify(&none).is_err());
        // Wrong typ, and typ required.
        let jwt = sign_with(&claims(AUD_A), PRIVATE_A, Some("kid-a"), Some("JWT"));
        assert_eq!(v.verify(&jwt), Err(AuthError::TokenType));
        let app = sign_with(
            &claims(AUD_A),
            PRIVATE_A,
            Some("kid-a"),
            Some("application/at+jwt"),
        );
        assert!(v.verify(&app).is_ok());
        // With several keys, a key without kid is tried for any token.
        let mut p = policy(AUD_A);
        p.keys = vec![key(PUBLIC_A, Some("kid-a")), key(PUBLIC_B, None)];
        let both = VoucherVerifier::new(p);
        assert!(both
            .verify(&sign_with(&claims(AUD_A), PRIVATE_B, None, Some("at+jwt")))
            .is_ok());
        assert!(
            both.verify(&forged).is_ok(),
            "B's key (no kid) verifies B's signature"
        );
    }

    fn b64(s: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn purpose_ids_restrict_when_configured() {
        let mut p = policy(AUD_A);
        p.purpose_ids = vec!["purpose-inps".into()];
        let v = VoucherVerifier::new(p);
        assert_eq!(v.verify(&sign(&claims(AUD_A))), Err(AuthError::Purpose));
        let ok = with(claims(AUD_A), "purposeId", json!("purpose-inps"));
        assert!(v.verify(&sign(&ok)).is_ok());
        assert_eq!(
            v.verify(&sign(&without(claims(AUD_A), "purposeId"))),
            Err(AuthError::Purpose)
        );
    }

    #[test]
    fn the_authorization_header_must_be_one_bearer_token() {
        let v = VoucherVerifier::new(policy(AUD_A));
        let token = sign(&claims(AUD_A));
        let h = |vals: &[&str]| {
            let mut m = HeaderMap::new();
            for x in vals {
                m.append(header::AUTHORIZATION, x.parse().unwrap());
            }
            m
        };
        assert_eq!(v.verify_headers(&h(&[])), Err(AuthError::Missing));
        assert!(v.verify_headers(&h(&[&format!("Bearer {token}")])).is_ok());
        assert!(v.verify_headers(&h(&[&format!("bearer {token}")])).is_ok());
        assert_eq!(
            v.verify_headers(&h(&[&format!("Basic {token}")])),
            Err(AuthError::NotBearer)
        );
        assert_eq!(v.verify_headers(&h(&[&token])), Err(AuthError::NotBearer));
        let twice = format!("Bearer {token}");
        assert_eq!(v.verify_headers(&h(&[&twice, &twice])), Err(AuthError::NotBearer));
        assert_eq!(v.verify_headers(&h(&["Bearer "])), Err(AuthError::NotBearer));
        assert_eq!(v.verify_headers(&h(&["Bearer  ."])), Err(AuthError::Malformed));
        assert_eq!(v.verify_headers(&h(&["Bearer a.b"])), Err(AuthError::Malformed));
        assert_eq!(v.verify_headers(&h(&["Bearer a b c"])), Err(AuthError::Malformed));
    }

    #[test]
    fn refusals_are_401_problems_with_a_challenge() {
        let p = AuthError::Expired.to_problem("waas-F205");
        assert_eq!(p.status, 401);
        let res = p.into_response();
        let challenge = res.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(
            challenge.contains("invalid_token") && challenge.contains("expired"),
            "{challenge}"
        );
        let res = AuthError::Missing.to_problem("waas-F205").into_response();
        assert_eq!(
            res.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"waas-F205\""
        );
    }
}
