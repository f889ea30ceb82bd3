//! Keys, wrapping, sealing, the ID lookup hash and the master key file.

use super::*;

fn sealed_name(key: &DataKey) -> SealedBytes {
    seal(key, b"resident-1", "张三".as_bytes())
}

#[test]
fn master_key_round_trips_through_hex_and_never_prints() {
    let key = MasterKey::generate();
    let again = MasterKey::from_hex(&key.to_hex()).unwrap();
    assert_eq!(again.to_hex(), key.to_hex());
    assert_eq!(key.to_hex().len(), 2 * KEY_LEN);
    assert_eq!(format!("{key:?}"), "MasterKey([redacted])");
    assert_eq!(format!("{:?}", DataKey::generate()), "DataKey([redacted])");
    assert!(matches!(
        MasterKey::from_bytes(&[7; 31]),
        Err(CryptoError::InvalidKeyLength { actual: 31 })
    ));
    assert!(matches!(
        MasterKey::from_hex("zz"),
        Err(CryptoError::InvalidHex)
    ));
}

#[test]
fn subkeys_differ_from_each_other_and_from_the_master() {
    let key = MasterKey::from_bytes(&[1; KEY_LEN]).unwrap();
    assert_ne!(key.wrapping, key.id_lookup);
    assert_ne!(key.wrapping, key.bytes);
    assert_ne!(key.id_lookup, key.bytes);
}

#[test]
fn wrapped_key_unwraps_only_for_its_subject_and_master() {
    let master = MasterKey::generate();
    let key = DataKey::generate();
    let wrapped = wrap(&master, "resident-1", &key);
    assert_eq!(wrapped.len(), NONCE_LEN + KEY_LEN + 16);
    assert_eq!(unwrap(&master, "resident-1", &wrapped).unwrap(), key);

    let swapped = unwrap(&master, "resident-2", &wrapped);
    assert!(matches!(swapped, Err(CryptoError::Decrypt)));
    let other_master = unwrap(&MasterKey::generate(), "resident-1", &wrapped);
    assert!(matches!(other_master, Err(CryptoError::Decrypt)));

    let mut tampered = wrapped.clone();
    tampered[NONCE_LEN + 3] ^= 1;
    assert!(matches!(
        unwrap(&master, "resident-1", &tampered),
        Err(CryptoError::Decrypt)
    ));
    assert!(matches!(
        unwrap(&master, "resident-1", &wrapped[..5]),
        Err(CryptoError::InvalidNonceLength { actual: 5 })
    ));
}

#[test]
fn sealed_bytes_open_with_the_same_key_nonce_and_aad() {
    let key = DataKey::generate();
    let sealed = sealed_name(&key);
    let opened = open(&key, b"resident-1", &sealed.nonce, &sealed.ciphertext).unwrap();
    assert_eq!(opened, "张三".as_bytes());
    // A fresh nonce per seal: equal plaintexts do not give equal ciphertexts.
    assert_ne!(sealed_name(&key), sealed);
}

#[test]
fn tampered_ciphertext_nonce_aad_or_key_fails_to_open() {
    let key = DataKey::generate();
    let sealed = sealed_name(&key);
    let mut ciphertext = sealed.ciphertext.clone();
    ciphertext[0] ^= 0x80;
    let mut nonce = sealed.nonce.clone();
    nonce[11] ^= 1;
    let attempts = [
        open(&key, b"resident-1", &sealed.nonce, &ciphertext),
        open(&key, b"resident-1", &nonce, &sealed.ciphertext),
        open(&key, b"resident-2", &sealed.nonce, &sealed.ciphertext),
        open(
            &DataKey::generate(),
            b"resident-1",
            &sealed.nonce,
            &sealed.ciphertext,
        ),
    ];
    for attempt in attempts {
        assert!(matches!(attempt, Err(CryptoError::Decrypt)));
    }
    assert!(matches!(
        open(&key, b"resident-1", &sealed.nonce[..8], &sealed.ciphertext),
        Err(CryptoError::InvalidNonceLength { actual: 8 })
    ));
}

#[test]
fn id_lookup_hash_is_stable_per_master_and_differs_per_id() {
    let master = MasterKey::generate();
    let hash = id_lookup_hash(&master, "11010519491231002X");
    assert_eq!(hash, id_lookup_hash(&master, "11010519491231002X"));
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(hash, id_lookup_hash(&master, "110105194912310039"));
    assert_ne!(
        hash,
        id_lookup_hash(&MasterKey::generate(), "11010519491231002X")
    );
    // Keyed by the derived subkey, not by the master itself.
    let mut direct = new_hmac(&master.bytes);
    direct.update(b"11010519491231002X");
    assert_ne!(hash, hex::encode(direct.finalize().into_bytes()));
}
