//! Sample files to download from the import page: the expected columns and one example row.

use super::Kind;

pub fn csv(kind: Kind) -> &'static str {
    match kind {
        Kind::Members => {
            "nombres;apellidos;dni;sexo;fecha_de_nacimiento;telefono;correo;idioma;organizacion;consentimiento_sms;consentimiento_correo\n\
             Rosa;Quispe Mamani;41234567;mujer;15/03/1985;987654321;;quechua;Pallaqueras de La Rinconada;sí;no\n"
        }
        Kind::Attendance => {
            "dni;nombre;sexo;organizacion;estado\n\
             41234567;;;;presente\n\
             ;Juan Mamani;hombre;CECOMIP;presente\n"
        }
        Kind::Repayments => "dni;prestamo;monto;fecha;recibo\n41234567;;50,00;22/11/2026;001-0234\n",
    }
}
