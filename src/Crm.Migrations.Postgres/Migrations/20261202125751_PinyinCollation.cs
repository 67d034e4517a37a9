using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class PinyinCollation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Hand-written: list sorts of text use this collation (Crm.Core.Data.PinyinCollation), 北京 < 南京 < 上海.
            migrationBuilder.Sql("CREATE COLLATION IF NOT EXISTS zh_pinyin (provider = icu, locale = 'zh-u-co-pinyin');");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP COLLATION IF EXISTS zh_pinyin;");
        }
    }
}
